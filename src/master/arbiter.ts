// The master: binds the listeners, spawns and supervises the workers, and turns signals and
// master-FIFO commands (commands.ts) into verbs. Its verbs follow gunicorn's arbiter and uWSGI's
// master: spawn, reap, respawn with a throttle when workers die in a loop; replace workers without
// losing capacity (reloads, recycling, harakiri: the replacement is ready before the old worker
// stops taking requests); stop gracefully within a mercy timeout.
import fs from 'node:fs';
import type { Config } from '../config/config.ts';
import { restartOnlyFields } from '../config/options.ts';
import { decodeServedRequest, type HarakiriReport, type ServedRequest } from '../channel/records.ts';
import { ctime, log, logFd, logServedRequest } from '../observe/log.ts';
import { Dispatcher } from '../router/dispatcher.ts';
import type { RequestCounters, RequestInfo } from '../router/exchange.ts';
import { installSignalHandlers, runFifoCommand, type MasterVerbs, type ReloadKind } from './commands.ts';
import { MasterFifos } from './fifo.ts';
import { kernelView, overdueRequests, recycleReason, requestLimitFor, residentBytes } from './limits.ts';
import { dropPrivileges } from './privileges.ts';
import { ListenerSet } from './listener-set.ts';
import { StartupError } from './startup-error.ts';
import { concurrencyMode, type ConcurrencyMode } from './mode.ts';
import { canImportGevent, resolvePython, workerArgs, PythonNotFound } from './python.ts';
import { removePidfileIfOurs, writePidfile } from './pidfile.ts';
import { TouchWatcher } from './touch.ts';
import { Worker, type ReadyInfo } from './worker.ts';
import { workerConfig } from './worker-config.ts';

/** uWSGI's exit status for "the app could not be loaded" (UWSGI_FAILED_APP_CODE). */
export const EXIT_APP_FAILED = 22;
/** Longest wait between respawns of a worker that keeps failing to load the app. */
const MAX_RESPAWN_BACKOFF_MS = 30_000;
/** Respawns closer together than this count as a loop (uWSGI's check-interval). */
const RESPAWN_WINDOW_MS = 1000;
/** How long stopped workers get to exit before SIGKILL, once their requests are done. */
const STOP_GRACE_MS = 5000;
/** How long workers get to exit on a fast shutdown (they exit as soon as they see the channel close). */
const FAST_STOP_GRACE_MS = 3000;


/** A whole-server reload in progress: the next set of workers, started while the current one serves. */
interface Generation {
  workers: Worker[];
  config: Config;
  mode: ConcurrencyMode;
  python: string;
  /** Kill the old workers at the switch instead of letting them finish their requests. */
  brutal: boolean;
}

/** A request past harakiri, and how its client gets the 504. */
interface OverdueRequest {
  info: RequestInfo;
  elapsedS: number;
  /** What the client gets, for the log: `504`, or that its response was cut short. */
  outcome: string;
  answer(): void;
}

/** One of the places a worker serves in; its number (index + 1) is the worker id. */
interface Slot {
  /** The worker serving it (or starting to). */
  worker: Worker | null;
  /** A worker starting to take it over (recycling, chain reload, harakiri); it serves once ready. */
  successor: Worker | null;
  /** Consecutive failures to load the app, for the respawn back-off. */
  loadFailures: number;
  /** No recycling before this time (its last replacement failed to load the app). */
  recycleNotBefore: number;
}

function emptySlot(worker: Worker | null = null): Slot {
  return { worker, successor: null, loadFailures: 0, recycleNotBefore: 0 };
}

/** Options that only take effect on a restart: the listeners, privileges and the master's own files. */
const RESTART_ONLY: ReadonlyArray<keyof Config> = restartOnlyFields();

export class Arbiter implements MasterVerbs {
  private config: Config;
  private mode: ConcurrencyMode;
  /** Reads the configuration again, for a reload; throws ConfigError when it no longer loads. */
  private readonly rereadConfig: () => Config;
  /** The environment the workers start from, before --env. */
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly dispatcher: Dispatcher;
  private readonly counters: RequestCounters;
  private readonly sockets: ListenerSet;
  /** One per worker process: `processes` of them. */
  private slots: Slot[];
  /** Workers out of the dispatcher, finishing their requests before they exit. */
  private readonly retiring = new Set<Worker>();
  /** Harakiri'd workers: killed once their other requests are done. */
  private readonly doomed = new Set<Worker>();
  private generation: Generation | null = null;
  /** Another reload was asked for while one was in progress: it follows. */
  private reloadAgain: { kind: ReloadKind; why: string } | null = null;
  /** Chain reload: the slots still to replace, one at a time, and the one being replaced. */
  private chain: number[] | null = null;
  private chainSlot = -1;
  private paused = false;
  private respawnTimes: number[] = [];
  private python = '';
  private startingUp = true;
  private stopping = false;
  /** The last moment of worker-reload-mercy once stopping began. */
  private mercyDeadline = 0;
  private finishing = false;
  private exitCode = 0;
  private tick: NodeJS.Timeout | undefined;
  private touchWatchers: Array<[TouchWatcher, (file: string) => void]> = [];
  private fifos: MasterFifos | undefined;
  private finish: (code: number) => void = () => {};
  private readonly done: Promise<number>;

  private get processes(): number {
    return this.slots.length;
  }

  /** The workers serving the slots (or starting to). */
  private get current(): Worker[] {
    return this.slots.flatMap((slot) => (slot.worker === null ? [] : [slot.worker]));
  }

  constructor(config: Config, rereadConfig: () => Config = () => config) {
    this.config = config;
    this.dispatcher = new Dispatcher(config);
    this.rereadConfig = rereadConfig;
    this.baseEnv = { ...process.env };
    this.mode = concurrencyMode(config);
    this.counters = { total: 0, logging: !config.disableLogging };
    this.sockets = new ListenerSet(config, this.dispatcher, this.counters);
    this.slots = Array.from({ length: config.processes }, () => emptySlot());
    this.done = new Promise((resolve) => { this.finish = resolve; });
  }

  /** Runs the server until it stops; resolves with the exit status. Throws StartupError. */
  async run(): Promise<number> {
    const config = this.config;
    log(`*** Starting nuwsgi (master pid: ${process.pid}) ***`);
    if (config.chdir !== undefined) {
      try {
        process.chdir(config.chdir);
      } catch {
        throw new StartupError(`--chdir ${config.chdir}: no such directory`);
      }
    }
    applyEnv(process.env, config.env);
    try {
      this.python = resolvePython(config.home, process.env.PATH);
    } catch (err) {
      if (err instanceof PythonNotFound) throw new StartupError(err.message);
      throw err;
    }
    checkAppSource(config);
    log(this.mode.logLine);
    checkGevent(this.mode, config, this.python);
    try {
      await this.sockets.bind(this.python);
      if (config.pidfile !== undefined) writePidfileOrFail(config.pidfile, 'pidfile');
      this.dropPrivileges();
      if (config.pidfile2 !== undefined) writePidfileOrFail(config.pidfile2, 'pidfile2');
      if (config.masterFifo.length > 0) this.fifos = new MasterFifos(config.masterFifo, (c) => runFifoCommand(c, this));
    } catch (err) {
      this.releaseListeners();
      if (err instanceof StartupError) throw err;
      throw new StartupError((err as Error).message);
    }
    installSignalHandlers(this);
    this.startChecks();
    this.slots.forEach((slot, index) => { slot.worker = this.startWorker(index + 1); });
    return this.done;
  }

  // --- listeners ----------------------------------------------------------------------------

  /** uid/gid, once the listeners are bound (binding may need root; serving must not). */
  private dropPrivileges(): void {
    const { uid, gid } = this.config;
    try {
      dropPrivileges(uid, gid);
    } catch (err) {
      const asked = [uid === undefined ? '' : `--uid ${uid}`, gid === undefined ? '' : `--gid ${gid}`].join(' ').trim();
      const e = err as NodeJS.ErrnoException;
      const hint = e.code === 'EPERM' ? ' (only a master started as root can change its user)' : '';
      throw new StartupError(`cannot run as ${asked}: ${e.message}${hint}`);
    }
    if (process.getuid?.() === 0) log('*** WARNING: you are running nuwsgi as root !!! (use the --uid flag) ***');
  }

  /** Drops whatever connections are left; with vacuum, removes the socket files, pidfiles and FIFOs. */
  private releaseListeners(): void {
    this.sockets.release(this.config.vacuum);
    this.fifos?.close(this.config.vacuum);
    if (!this.config.vacuum) return;
    for (const file of [this.config.pidfile, this.config.pidfile2]) if (file !== undefined) removePidfileIfOurs(file);
  }

  // --- workers: start, ready, exit ------------------------------------------------------------

  /** Starts a worker for `slot` with the current configuration, or with a reload's. */
  private startWorker(slot: number, next?: Generation): Worker {
    const config = next?.config ?? this.config;
    const how = {
      python: next?.python ?? this.python,
      args: workerArgs(),
      env: applyEnv({ ...this.baseEnv }, config.env),
      logFd: logFd(),
      sockets: this.sockets.uwsgi.map((socket) => socket.fd),
      pipelining: config.harakiri === 0,
    };
    const sockets = { uwsgi: this.sockets.uwsgi, http: this.sockets.http.length > 0 };
    const worker = new Worker(slot, how, workerConfig(slot, config, next?.mode ?? this.mode, sockets), {
      ready: (w, info) => this.onWorkerReady(w, info),
      free: (w) => this.onWorkerFree(w),
      reload: (w) => this.onWorkerReload(w),
      served: (w, request) => this.onWorkerServed(w, request),
      harakiri: (w, report) => this.onWorkerHarakiri(w, report),
      exit: (w, code, signal) => this.onWorkerExit(w, code, signal),
    });
    worker.requestLimit = requestLimitFor(slot, config);
    log(`spawned worker ${slot} (pid: ${worker.pid}, cores: ${worker.cores})`);
    return worker;
  }

  /** Hands a ready worker to the dispatcher (unless paused: then it waits for the resume). */
  private serve(worker: Worker): void {
    if (!this.paused) this.dispatcher.addWorker(worker);
    else worker.pauseAccepting(true);
  }

  private onWorkerReady(worker: Worker, info: ReadyInfo): void {
    const slot = this.slots[worker.slot - 1] as Slot | undefined;
    log(`worker ${worker.slot} (pid: ${worker.pid}) ready: ${info.app} (Python ${info.python})`);
    if (this.stopping || this.retiring.has(worker)) {
      worker.stop();
      return;
    }
    if (this.generation?.workers.includes(worker)) {
      if (this.generation.workers.every((w) => w.state === 'ready')) this.switchToGeneration();
      return;
    }
    if (slot === undefined) return;
    slot.loadFailures = 0;
    if (slot.successor === worker) {
      this.promote(worker.slot - 1);
      return;
    }
    this.serve(worker);
    if (this.startingUp && this.slots.every((s) => s.worker?.state === 'ready')) {
      this.startingUp = false;
      log(`*** nuwsgi is ready: ${this.processes} worker${this.processes === 1 ? '' : 's'} ***`);
    }
  }

  private onWorkerFree(worker: Worker): void {
    this.dispatcher.workerFree(worker);
    if (this.doomed.has(worker)) {
      if (worker.inflight.size === 0 && this.config.harakiriGracefulTimeout === 0) worker.kill();
    } else if (worker.requestLimit > 0 && worker.requestsServed >= worker.requestLimit) {
      this.recycleIfDue(worker, Date.now());
    }
  }

  /** A request the worker served on a uwsgi socket: counted and logged here, as the master's own are. */
  private onWorkerServed(worker: Worker, record: Buffer): void {
    this.countServed(worker, record);
    if (worker.requestLimit > 0 && worker.requestsServed >= worker.requestLimit) this.recycleIfDue(worker, Date.now());
  }

  /** The worker's watchdog answered a uwsgi request past harakiri: the worker is replaced. */
  private onWorkerHarakiri(worker: Worker, report: HarakiriReport): void {
    const { request } = report;
    this.harakiri(worker, [{
      info: { method: request.method, uri: request.uri, protocol: request.protocol, remoteAddr: request.remoteAddr },
      elapsedS: report.elapsedS,
      outcome: report.answered ? '504' : 'response cut short',
      answer: () => this.countServed(worker, request),
    }]);
  }

  /** Counts a request a worker served on a uwsgi socket and logs it; a record is decoded only for the log line. */
  private countServed(worker: Worker, request: ServedRequest | Buffer): void {
    const counters = this.counters;
    counters.total++;
    if (!counters.logging) return;
    const served = Buffer.isBuffer(request) ? decodeServedRequest(request) : request;
    if (served !== undefined) logServedRequest(worker.pid, worker.requestsServed, counters.total, served);
  }

  /** The worker saw its code change (py-autoreload): every worker is replaced, as on SIGHUP. */
  private onWorkerReload(worker: Worker): void {
    if (this.slots[worker.slot - 1]?.worker !== worker) return;
    this.reload('graceful', `worker ${worker.slot} (pid: ${worker.pid}) has modified code (py-autoreload)`);
  }

  private onWorkerExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal !== null ? `killed by signal ${signal}` : `exit code ${code}`;
    const index = worker.slot - 1;
    const wasReady = worker.readyAt !== 0;
    this.dispatcher.removeWorker(worker);
    this.doomed.delete(worker);
    const retired = this.retiring.delete(worker);
    const slot = this.slots[index] as Slot | undefined;
    const wasSuccessor = slot?.successor === worker;
    const wasCurrent = slot?.worker === worker;
    if (slot !== undefined && wasSuccessor) slot.successor = null;
    if (slot !== undefined && wasCurrent) slot.worker = null;
    const generation = this.generation;
    if (generation?.workers.includes(worker)) generation.workers.splice(generation.workers.indexOf(worker), 1);

    if (this.stopping) {
      log(`worker ${worker.slot} (pid: ${worker.pid}) stopped (${how})`);
      void this.finishIfAllStopped();
      return;
    }
    if (retired) {
      log(`worker ${worker.slot} (pid: ${worker.pid}) buried after ${((Date.now() - worker.spawnedAt) / 1000).toFixed(1)} seconds (${how})`);
      if (wasCurrent) this.respawnLater(index, 0);
      return;
    }
    if (generation !== null && !wasCurrent && !wasSuccessor) {
      this.abandonGeneration(`new worker ${worker.slot} (pid: ${worker.pid}) could not load the app (${how}): see the messages above`);
      return;
    }
    if (!wasReady && this.startingUp) {
      log(`worker ${worker.slot} (pid: ${worker.pid}) could not load the app (${how}): see the messages above; stopping`);
      this.shutdown('graceful', '', code === EXIT_APP_FAILED ? EXIT_APP_FAILED : 1);
      return;
    }
    if (slot === undefined) return; // its slot was removed (SIGTTOU) meanwhile
    if (!wasReady) {
      slot.loadFailures++;
      const delayMs = Math.min(this.config.forkbombDelay * 1000 * 2 ** (slot.loadFailures - 1), MAX_RESPAWN_BACKOFF_MS);
      if (wasSuccessor) {
        slot.recycleNotBefore = Date.now() + delayMs;
        log(`OOPS ! the replacement of worker ${worker.slot} (pid: ${worker.pid}) failed to load the app (${how}): ` +
          `${slot.worker === null ? 'respawning' : 'the current worker keeps serving; next try'} in ${delayMs / 1000} s`);
        if (this.chainSlot === index) this.stopChain('the new worker could not load the app');
      } else {
        log(`OOPS ! worker ${worker.slot} (pid: ${worker.pid}) failed to load the app (${how}): trying again in ${delayMs / 1000} s`);
      }
      this.respawnLater(index, delayMs);
      return;
    }
    log(`DAMN ! worker ${worker.slot} (pid: ${worker.pid}) died (${how}) after ${worker.requestsServed} requests :( respawning`);
    let delayMs = 0;
    if (this.respawningTooFast()) {
      delayMs = this.config.forkbombDelay * 1000;
      log(`worker respawning too fast !!! i have to sleep a bit (${this.config.forkbombDelay} seconds)...`);
    }
    this.respawnLater(index, delayMs);
  }

  /** Starts a worker for an empty slot after `delayMs`, unless something else fills it meanwhile. */
  private respawnLater(index: number, delayMs: number): void {
    const respawn = () => {
      const slot = this.slots[index] as Slot | undefined;
      if (this.stopping || slot === undefined || slot.worker !== null || slot.successor !== null) return;
      slot.worker = this.startWorker(index + 1);
    };
    if (delayMs === 0) respawn();
    else setTimeout(respawn, delayMs).unref();
  }

  /** More respawns within the last check interval than there are workers: a crash loop. */
  private respawningTooFast(): boolean {
    const now = Date.now();
    this.respawnTimes = this.respawnTimes.filter((t) => now - t < RESPAWN_WINDOW_MS);
    this.respawnTimes.push(now);
    return this.respawnTimes.length > this.processes;
  }

  // --- replacing workers: one slot, or all of them ------------------------------------------------

  /** Starts a successor for one slot; it takes over once ready (promote). False if one cannot start now. */
  private replaceSlot(index: number): boolean {
    const slot = this.slots[index];
    if (this.stopping || this.generation !== null || slot.successor !== null) return false;
    slot.successor = this.startWorker(index + 1);
    return true;
  }

  /** The successor of a slot is ready: it serves, then the worker it replaces stops taking requests. */
  private promote(index: number): void {
    const slot = this.slots[index];
    const next = slot.successor;
    if (next === null) return;
    const previous = slot.worker;
    slot.successor = null;
    slot.worker = next;
    this.serve(next);
    if (previous !== null) this.retire(previous);
    if (this.chainSlot === index) this.chainNext();
  }

  /**
   * Takes a worker out of the dispatcher and asks it to finish its requests and exit, within
   * worker-reload-mercy. Requests waiting in the master go to the other workers meanwhile.
   */
  private retire(worker: Worker, brutal = false): void {
    if (this.retiring.has(worker)) return;
    this.retiring.add(worker);
    this.dispatcher.removeWorker(worker);
    if (brutal) {
      worker.kill();
      return;
    }
    worker.stop();
    const mercy = this.config.workerReloadMercy;
    setTimeout(() => {
      if (worker.state === 'dead') return;
      log(`worker ${worker.slot} (pid: ${worker.pid}) is taking too much time to die (worker-reload-mercy ${mercy} s)...NO MERCY !!!`);
      worker.kill();
    }, mercy * 1000).unref();
  }

  /** Replaces `worker` if a limit says so (max-requests, max-worker-lifetime, reload-on-rss). */
  private recycleIfDue(worker: Worker, now: number): void {
    const index = worker.slot - 1;
    const slot = this.slots[index] as Slot | undefined;
    if (this.stopping || slot?.worker !== worker || slot.successor !== null || now < slot.recycleNotBefore) return;
    const reason = recycleReason(worker, this.config, now, residentBytes);
    if (reason === undefined) return;
    if (this.replaceSlot(index)) {
      log(`...The work of worker ${worker.slot} (pid: ${worker.pid}) is done (${reason}): its replacement is starting. Seeya!`);
    }
  }

  reload(kind: ReloadKind, why: string): void {
    if (this.stopping) return;
    if (this.generation !== null) {
      this.reloadAgain = { kind, why };
      log(`${why}: a reload is already in progress; another one follows it`);
      return;
    }
    const rereading = kind === 'graceful' || kind === 'brutal';
    log(`${why}: ${kind.startsWith('brutal') ? 'brutal' : 'graceful'} reload` +
      `${rereading ? ', re-reading the configuration' : ''} (new workers start, then the old ones stop taking requests)`);
    let next: Generation;
    try {
      next = this.nextGeneration(rereading, kind.startsWith('brutal'));
    } catch (err) {
      log(`reload refused, the current workers keep serving: ${(err as Error).message}`);
      return;
    }
    this.stopChain('a full reload started');
    for (const slot of this.slots) {
      if (slot.successor === null) continue;
      this.retire(slot.successor, true);
      slot.successor = null;
    }
    this.generation = next;
    for (let slot = 1; slot <= next.config.processes; slot++) next.workers.push(this.startWorker(slot, next));
  }

  /** The configuration, interpreter and mode the next workers run with. Throws with the reason when unusable. */
  private nextGeneration(rereading: boolean, brutal: boolean): Generation {
    if (!rereading) return { workers: [], config: this.config, mode: this.mode, python: this.python, brutal };
    const config = this.rereadConfig();
    const changed = RESTART_ONLY.filter((key) => JSON.stringify(config[key]) !== JSON.stringify(this.config[key]));
    if (changed.length > 0) log(`reload: changes to ${changed.join(', ')} take effect on a restart, not on a reload`);
    let python;
    try {
      python = resolvePython(config.home, applyEnv({ ...this.baseEnv }, config.env).PATH);
    } catch (err) {
      if (err instanceof PythonNotFound) throw new Error(err.message);
      throw err;
    }
    checkAppSource(config);
    const mode = concurrencyMode(config);
    checkGevent(mode, config, python);
    // What needs a restart keeps its running value, so that this.config describes what runs.
    for (const key of RESTART_ONLY) (config as unknown as Record<string, unknown>)[key] = this.config[key];
    return { workers: [], config, mode, python, brutal };
  }

  /** Every new worker is ready: they take over, all at once, and the old ones finish their requests. */
  private switchToGeneration(): void {
    const next = this.generation;
    if (next === null) return;
    this.generation = null;
    this.startingUp = false;
    const old = this.current;
    this.config = next.config;
    this.mode = next.mode;
    this.python = next.python;
    this.slots = next.workers.map((worker) => emptySlot(worker));
    for (const worker of next.workers) this.serve(worker);
    for (const worker of old) this.retire(worker, next.brutal);
    this.startChecks();
    log(`reload complete: ${this.processes} new workers serving; ${old.length} old ones ${next.brutal ? 'killed' : 'finishing their requests'}`);
    const again = this.reloadAgain;
    this.reloadAgain = null;
    if (again !== null) this.reload(again.kind, again.why);
  }

  /** A new worker could not start: the reload is given up and the current workers go on. */
  private abandonGeneration(why: string): void {
    const next = this.generation;
    if (next === null) return;
    this.generation = null;
    this.reloadAgain = null;
    log(`reload failed, the current workers keep serving: ${why}`);
    for (const worker of next.workers) this.retire(worker, true);
    for (let index = 0; index < this.processes; index++) this.respawnLater(index, 0);
  }

  chainReload(why: string): void {
    if (this.stopping) return;
    if (this.generation !== null || this.chain !== null) {
      log(`${why}: a reload is already in progress; chain reload ignored`);
      return;
    }
    log(`${why}: chain reload (one worker at a time)`);
    this.chain = Array.from({ length: this.processes }, (_, index) => index);
    this.chainNext();
  }

  private chainNext(): void {
    const chain = this.chain;
    if (chain === null) return;
    const index = chain.shift();
    if (index === undefined) {
      this.chain = null;
      this.chainSlot = -1;
      log('chain reloading complete');
      return;
    }
    this.chainSlot = index;
    log(`chain next victim is worker ${index + 1}`);
    if (!this.replaceSlot(index)) this.chainNext();
  }

  private stopChain(why: string): void {
    if (this.chain === null) return;
    log(`chain reload stopped: ${why}`);
    this.chain = null;
    this.chainSlot = -1;
  }

  // --- the periodic checks: harakiri, limits, touch files -----------------------------------------

  /** (Re)starts the check tick with the current configuration's interval and touch files. */
  private startChecks(): void {
    clearInterval(this.tick);
    const config = this.config;
    this.touchWatchers = [
      [new TouchWatcher(config.touchReload), (file) => this.reload('graceful', `*** ${file} has been touched... grace them all !!! ***`)],
      [new TouchWatcher(config.touchWorkersReload), (file) => this.reload('workers', `*** ${file} has been touched... workers reload !!! ***`)],
      [new TouchWatcher(config.touchChainReload), (file) => this.chainReload(`*** ${file} has been touched... chain reload !!! ***`)],
    ];
    this.tick = setInterval(() => this.check(), config.checkInterval * 1000);
    this.tick.unref();
  }

  private check(): void {
    if (this.stopping) return;
    const now = Date.now();
    if (this.config.harakiri > 0) {
      for (const worker of [...this.current, ...this.retiring]) {
        const overdue = overdueRequests(worker, this.config.harakiri, now).map(([id, exchange]) => ({
          info: exchange.info,
          elapsedS: (now - exchange.dispatchedMs) / 1000,
          outcome: '504',
          answer: () => {
            worker.abandon(id);
            exchange.onWorkerLost(`harakiri: the request ran for more than ${this.config.harakiri} s`, 504);
          },
        }));
        if (overdue.length > 0) this.harakiri(worker, overdue);
      }
    }
    for (const worker of this.current) this.recycleIfDue(worker, now);
    for (const [watcher, act] of this.touchWatchers) {
      const file = watcher.touched();
      if (file !== undefined) act(file);
    }
  }

  /**
   * Requests past --harakiri get 504 now; their worker stops taking requests, a replacement starts,
   * and the worker is killed once its other requests are done (or after harakiri-graceful-timeout).
   */
  private harakiri(worker: Worker, overdue: OverdueRequest[]): void {
    const config = this.config;
    const first = !this.doomed.has(worker);
    const graceful = config.harakiriGracefulTimeout > 0;
    if (first) log(`*** HARAKIRI ON WORKER ${worker.slot} (pid: ${worker.pid}, try: 1, graceful: ${graceful ? 'yes' : 'no'}) ***`);
    for (const { info, elapsedS, outcome, answer } of overdue) {
      const { remoteAddr, method, uri } = info;
      log(`HARAKIRI worker ${worker.slot} (pid: ${worker.pid}): ${remoteAddr} - ${method} ${uri} running for ${elapsedS.toFixed(1)} s (harakiri ${config.harakiri} s): ${outcome}`);
      answer();
    }
    if (config.harakiriVerbose) log(`HARAKIRI worker ${worker.slot} (pid: ${worker.pid}): ${kernelView(worker.pid)}`);
    if (!first) return;
    this.doomed.add(worker);
    if (this.slots[worker.slot - 1]?.worker === worker) this.replaceSlot(worker.slot - 1);
    this.retire(worker);
    if (graceful) {
      worker.kill(config.harakiriGracefulSignal);
      setTimeout(() => worker.kill(), config.harakiriGracefulTimeout * 1000).unref();
    } else if (worker.inflight.size === 0) {
      worker.kill();
    }
  }

  // --- the other verbs (signals, master FIFO) -----------------------------------------------------

  logStats(): void {
    log(`workers total requests: ${this.counters.total}`);
    for (const w of this.allWorkers()) {
      log(`worker ${w.slot} (pid: ${w.pid}) ${w.state}: ${w.requestsServed} requests, ${w.inflight.size} in flight`);
    }
    log(`queued requests: ${this.dispatcher.queued}`);
  }

  /** SIGUSR2: each worker's requests in flight, and since when (uWSGI's "what i am doing"). */
  logWhatWorkersDo(): void {
    const now = Date.now();
    for (const w of this.allWorkers()) {
      if (w.inflight.size === 0) log(`SIGUSR2: worker ${w.slot} (pid: ${w.pid}) ${w.state}, no request`);
      for (const exchange of w.inflight.values()) {
        const { method, uri, remoteAddr } = exchange.info;
        log(`SIGUSR2: worker ${w.slot} (pid: ${w.pid}) is managing request ${method} ${uri} from ${remoteAddr} ` +
          `since ${ctime(exchange.dispatchedMs)} (${((now - exchange.dispatchedMs) / 1000).toFixed(3)} s)`);
      }
    }
    log(`SIGUSR2: ${this.dispatcher.queued} requests waiting in the master`);
    // the requests on the uwsgi sockets are the workers' own: each one reports them
    if (this.sockets.uwsgi.length > 0) for (const w of this.allWorkers()) if (w.state === 'ready') w.kill('SIGUSR2');
  }

  togglePause(): void {
    if (this.stopping) return;
    this.paused = !this.paused;
    for (const worker of this.current) {
      if (worker.state !== 'ready' || this.retiring.has(worker)) continue;
      if (this.paused) this.dispatcher.removeWorker(worker);
      else this.dispatcher.addWorker(worker);
      worker.pauseAccepting(this.paused);
    }
    log(this.paused
      ? '*** PAUSE: requests wait in the master (up to --listen), and connections on uwsgi sockets in their backlog, ' +
        'until resumed (SIGTSTP again, or p on the master FIFO) ***'
      : '*** RESUME: workers take requests again ***');
  }

  addWorker(): void {
    if (this.stopping || this.generation !== null) return;
    this.slots.push(emptySlot());
    log(`adding worker ${this.processes} (now ${this.processes} workers)`);
    this.respawnLater(this.processes - 1, 0);
  }

  removeWorker(): void {
    if (this.stopping || this.generation !== null) return;
    if (this.processes === 1) {
      log('cannot remove the last worker');
      return;
    }
    if (this.chainSlot === this.processes - 1) this.stopChain('its last worker was removed');
    const { worker, successor } = this.slots.pop()!;
    log(`removing worker ${this.processes + 1} (now ${this.processes} workers)`);
    if (successor !== null) this.retire(successor, true);
    if (worker !== null) this.retire(worker);
  }

  writePidfiles(): void {
    for (const file of [this.config.pidfile, this.config.pidfile2]) {
      if (file === undefined) continue;
      try {
        writePidfile(file);
      } catch (err) {
        log(`cannot write the pidfile ${file}: ${(err as Error).message}`);
      }
    }
  }

  refuse(what: string): void {
    log(`${what}: not supported by nuwsgi; ignored`);
  }

  private allWorkers(): Worker[] {
    const all = new Set<Worker>();
    for (const slot of this.slots) {
      if (slot.worker !== null) all.add(slot.worker);
      if (slot.successor !== null) all.add(slot.successor);
    }
    for (const w of [...this.retiring, ...(this.generation?.workers ?? [])]) all.add(w);
    return [...all];
  }

  // --- stopping ------------------------------------------------------------------------------

  /**
   * graceful: stop accepting, let queued and in-flight requests finish within worker-reload-mercy,
   * stop the workers, exit. fast: drop the connections and end the workers now. A second request
   * to stop makes a graceful stop fast.
   */
  shutdown(how: 'graceful' | 'fast', why: string, exitCode = 0): void {
    if (this.stopping) {
      if (why !== '') {
        log(`${why} again: killing the workers now`);
        this.killAll();
      }
      return;
    }
    if (this.paused) this.togglePause();
    this.stopping = true;
    this.exitCode = exitCode;
    clearInterval(this.tick);
    // Workers still starting have nothing to finish.
    for (const w of [...this.slots.map((slot) => slot.successor), ...(this.generation?.workers ?? [])]) w?.kill();
    const mercy = this.config.workerReloadMercy;
    this.mercyDeadline = Date.now() + mercy * 1000;
    void this.sockets.close();
    if (how === 'fast') {
      if (why !== '') log(`${why}: fast shutdown (${this.dispatcher.inflight + this.dispatcher.queued} requests dropped)`);
      this.sockets.dropConnections();
      // Idle workers exit on the channel's EOF; busy ones would only see it after their request.
      for (const w of this.allWorkers()) {
        if (w.inflight.size > 0) w.kill();
        else w.closeChannel();
      }
      setTimeout(() => this.killAll(), FAST_STOP_GRACE_MS).unref();
      void this.finishIfAllStopped();
      return;
    }
    if (why !== '') {
      log(`${why}: graceful shutdown (${this.dispatcher.inflight + this.dispatcher.queued} requests to finish, mercy ${mercy} s)`);
    }
    void this.stopWhenIdle(mercy);
  }

  private async stopWhenIdle(mercy: number): Promise<void> {
    const mercyTimer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), mercy * 1000).unref());
    const outcome = await Promise.race([this.dispatcher.whenIdle().then(() => 'idle' as const), mercyTimer]);
    if (outcome === 'timeout') {
      log(`worker-reload-mercy (${mercy} s) is over with ${this.dispatcher.inflight} requests still running: killing the workers`);
      this.killAll();
    } else {
      for (const w of this.allWorkers()) w.stop();
      // Retiring workers may still be finishing requests: they keep the rest of the mercy.
      const left = Math.max(STOP_GRACE_MS, this.mercyDeadline - Date.now());
      setTimeout(() => this.killAll(), left).unref();
    }
    void this.finishIfAllStopped();
  }

  private killAll(): void {
    for (const w of this.allWorkers()) w.kill();
    this.sockets.dropConnections();
  }

  private async finishIfAllStopped(): Promise<void> {
    if (!this.stopping || this.finishing || this.allWorkers().length > 0) return;
    this.finishing = true;
    // Responses handed to the listeners may still be on their way to slow clients: let them
    // drain (their connections close after them), within what is left of the mercy.
    const left = Math.max(0, this.mercyDeadline - Date.now());
    await Promise.race([this.sockets.close(), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    this.releaseListeners();
    if (!this.startingUp || this.exitCode === 0) log('goodbye to nuwsgi.');
    this.finish(this.exitCode);
  }
}

/** putenv() semantics, as in uWSGI: KEY=VALUE sets, KEY alone removes, '' does nothing. Returns `env`. */
function applyEnv(env: NodeJS.ProcessEnv, assignments: readonly string[]): NodeJS.ProcessEnv {
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq === -1) delete env[assignment];
    else env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** A missing --wsgi-file, or a missing file given to --mount, is reported before any worker starts. */
function checkAppSource(config: Config): void {
  const file = config.wsgiFile;
  if (file !== undefined && !fs.existsSync(file)) {
    throw new StartupError(`--wsgi-file ${file}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED);
  }
  for (const { mountpoint, app } of config.mounts) {
    if (isAppFile(app) && !fs.existsSync(app)) {
      throw new StartupError(
        `--mount ${mountpoint}=${app}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED);
    }
  }
}

function checkGevent(mode: ConcurrencyMode, config: Config, python: string): void {
  if (mode.kind === 'gevent' && !canImportGevent(python)) {
    throw new StartupError(`gevent = ${config.gevent} needs gevent in the workers' Python (${python}): ` +
      'apt-get install python3-gevent, or pip install gevent in the virtualenv');
  }
}

function writePidfileOrFail(file: string, option: string): void {
  try {
    writePidfile(file);
  } catch (err) {
    throw new StartupError(`--${option} ${file}: cannot write it: ${(err as Error).message}`);
  }
}

/** Whether a --mount app names a file (as uWSGI decides: by the .py or .wsgi suffix) rather than a module. */
function isAppFile(app: string): boolean {
  return app.endsWith('.py') || app.endsWith('.wsgi');
}
