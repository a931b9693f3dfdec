// The master: binds the listeners, spawns and supervises the workers, and turns signals and
// master-FIFO commands (commands.ts) into verbs. Its verbs follow gunicorn's arbiter and uWSGI's
// master: spawn, reap, respawn with a throttle when workers die in a loop; replace workers without
// losing capacity (reloads, recycling, harakiri: the replacement is ready before the old worker
// stops taking requests); stop gracefully within a mercy timeout.
import type { Config } from '../config/config.ts';
import type { HarakiriReport } from '../channel/records.ts';
import { log } from '../observe/log.ts';
import { Dispatcher } from '../router/dispatcher.ts';
import { Router } from '../router/router.ts';
import { setUpLog } from './request-log.ts';
import type { StaticRules } from '../router/static/rules.ts';
import { installSignalHandlers, runFifoCommand, type MasterVerbs, type ReloadKind } from './commands.ts';
import { MasterFifos } from './fifo.ts';
import type { Generation } from './generation.ts';
import { Reloads, type ReloadingMaster } from './reloads.ts';
import { takeListenEnvironment } from '../listeners/inherited.ts';
import { notifySystemd, takeNotifyEnvironment, type NotifyEnvironment } from './notify.ts';
import { isDaemon } from './daemon.ts';
import { Lifecycle, workerSnapshot, type MasterSnapshot, type WorkerSnapshot } from './lifecycle.ts';
import { logPauseChange, logStats, logWhatWorkersDo } from './reports.ts';
import { answeredByWorker } from './harakiri.ts';
import { LimitChecks } from './limit-checks.ts';
import { requestLimitFor } from './limits.ts';
import { ListenerSet } from './listener-set.ts';
import { emptySlot, Respawns, workerName, workersIn, type Slot } from './slots.ts';
import { Shutdown, type StoppingMaster } from './shutdown.ts';
import { setUpStaticFiles } from './static-files.ts';
import { Observability } from './stats/observability.ts';
import { StartupError } from './startup-error.ts';
import { ChainReload } from './chain-reload.ts';
import { concurrencyMode, type ConcurrencyMode } from './mode.ts';
import { removePidfileIfOurs, rewritePidfiles } from './pidfile.ts';
import { applyEnv, enterChdir, workerRuntime, writePidfilesAroundPrivilegeDrop } from './startup-checks.ts';
import { Worker, type ReadyInfo } from './worker.ts';
import { workerConfig, workerProcess } from './worker-config.ts';
import { spawnedWorker } from './worker-link.ts';
import { Zygotes } from './zygotes.ts';

export class Arbiter implements MasterVerbs {
  private config: Config;
  private mode: ConcurrencyMode;
  /** Reads the configuration again, for a reload; throws ConfigError when it no longer loads. */
  private readonly rereadConfig: () => Config;
  /** The environment the workers start from, before --env. */
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly dispatcher: Dispatcher;
  private readonly router: Router;
  /** The counters, and the stats and metrics servers that read them. */
  private readonly observed: Observability;
  /** Spawns, exits, reloads, harakiri, recycling, the queue full: for whatever watches the master. */
  readonly events = new Lifecycle();
  private readonly sockets: ListenerSet;
  /** systemd's notify socket, when it started the master with one (Type=notify). */
  private readonly notify: NotifyEnvironment | undefined;
  /** One per worker process: `processes` of them. */
  private slots: Slot[];
  /** Workers out of the dispatcher, finishing their requests before they exit. */
  private readonly retiring = new Set<Worker>();
  private readonly reloads: Reloads;
  private readonly chain = new ChainReload((index) => this.replaceSlot(index));
  /** Without lazy-apps, the workers are forked from these (one per generation). */
  private readonly zygotes: Zygotes;
  private paused = false;
  /** Fills the slots whose worker exited: at once, after a back-off, or the master stops. */
  private readonly respawns: Respawns;
  private python = '';
  /** The static-file rules, resolved once at start (after chdir) for the router and the workers. */
  private statics!: StaticRules;
  private startingUp = true;
  private readonly stopper: Shutdown;
  /** Harakiri and recycling, after each request and on the check tick. */
  private readonly checks: LimitChecks;
  private fifos: MasterFifos | undefined;
  private finish: (code: number) => void = () => {};
  private readonly done: Promise<number>;

  private get processes(): number {
    return this.slots.length;
  }

  /** The workers serving the slots (or starting to). */
  private get current(): Worker[] {
    return workersIn(this.slots);
  }

  constructor(config: Config, rereadConfig: () => Config = () => config) {
    this.config = config;
    this.dispatcher = new Dispatcher(config.listen, (queued) => this.events.emit('queueFull', { queued }));
    this.router = new Router(this.dispatcher, config);
    setUpLog(config, this.router, this.events);
    this.rereadConfig = rereadConfig;
    // systemd's variables are the master's: the workers start without them
    this.notify = takeNotifyEnvironment(process.env);
    const passed = takeListenEnvironment(process.env);
    this.baseEnv = { ...process.env };
    this.mode = concurrencyMode(config);
    this.observed = new Observability(() => this.config, this.router, this.events, () => this.mode.cores);
    this.sockets = new ListenerSet(config, this.router, passed);
    this.stopper = new Shutdown(this.stoppingMaster());
    this.reloads = new Reloads(this.reloadingMaster());
    this.respawns = new Respawns({
      slot: (index) => this.slots[index] as Slot | undefined,
      stopping: () => this.stopping,
      startingUp: () => this.startingUp,
      processes: () => this.processes,
      forkbombDelay: () => this.config.forkbombDelay,
      startWorker: (slot) => this.startWorker(slot),
      stop: (exitCode) => this.shutdown('graceful', '', exitCode),
      successorFailed: (index) => { if (this.chain.isReplacing(index)) this.chain.stop('the new worker could not load the app'); },
    });
    this.checks = new LimitChecks({
      config: () => this.config,
      events: this.events,
      stopping: () => this.stopping,
      reloading: () => this.reloads.inProgress,
      slot: (index) => this.slots[index] as Slot | undefined,
      current: () => this.current,
      retiring: this.retiring,
      replaceSlot: (index) => this.replaceSlot(index),
      retire: (worker) => this.retire(worker),
      verbs: this,
    });
    this.zygotes = new Zygotes({
      running: () => ({ config: this.config, mode: this.mode, python: this.python }),
      launch: ({ config, mode, python }) => ({
        how: workerProcess(config, python, this.baseEnv, this.sockets.uwsgi),
        config: workerConfig(0, config, mode, this.workerSockets, this.statics),
      }),
      stopping: () => this.stopping,
      forkbombDelay: () => this.config.forkbombDelay,
    });
    this.slots = Array.from({ length: config.processes }, () => emptySlot());
    this.done = new Promise((resolve) => { this.finish = resolve; });
  }

  /** Runs the server until it stops; resolves with the exit status. Throws StartupError. */
  async run(): Promise<number> {
    const config = this.config;
    log(`*** Starting nuwsgi (master pid: ${process.pid}) ***`);
    enterChdir(config);
    applyEnv(process.env, config.env);
    this.statics = await setUpStaticFiles(config, this.router);
    ({ python: this.python, mode: this.mode } = workerRuntime(config, process.env));
    log(this.mode.logLine);
    try {
      await this.sockets.bind(this.python);
      await this.observed.start({ snapshot: () => this.snapshot(), sockets: () => this.sockets.socketStats(this.dispatcher.queued) });
      writePidfilesAroundPrivilegeDrop(config);
      if (config.masterFifo.length > 0) this.fifos = new MasterFifos(config.masterFifo, (c) => runFifoCommand(c, this));
    } catch (err) {
      this.releaseListeners();
      if (err instanceof StartupError) throw err;
      throw new StartupError((err as Error).message);
    }
    if (this.notify !== undefined) notifySystemd(this.notify, this.python, this.events, () => this.snapshot(), isDaemon());
    installSignalHandlers(this);
    this.checks.start();
    this.slots.forEach((slot, index) => { slot.worker = this.startWorker(index + 1); });
    return this.done;
  }

  // --- listeners ----------------------------------------------------------------------------

  /** Drops whatever connections are left; with vacuum, removes the socket files, pidfiles and FIFOs. */
  private releaseListeners(): void {
    this.sockets.release(this.config.vacuum);
    this.observed.close(this.config.vacuum);
    this.fifos?.close(this.config.vacuum);
    if (!this.config.vacuum) return;
    for (const file of [this.config.pidfile, this.config.pidfile2]) if (file !== undefined) removePidfileIfOurs(file);
  }

  // --- workers: start, ready, exit ------------------------------------------------------------

  /** The sockets every worker serves. */
  private get workerSockets(): { uwsgi: ListenerSet['uwsgi']; http: boolean } {
    return { uwsgi: this.sockets.uwsgi, http: this.sockets.http.length > 0 };
  }

  /**
   * Starts a worker for `slot` with the current configuration, or with a reload's: forked from the
   * generation's zygote, or with lazy-apps a fresh Python that imports the apps itself.
   */
  private startWorker(slot: number, next?: Generation): Worker {
    const config = next?.config ?? this.config;
    const link = config.lazyApps || config.lazy
      ? spawnedWorker(workerProcess(config, next?.python ?? this.python, this.baseEnv, this.sockets.uwsgi))
      : this.zygotes.linkFor(next);
    const worker = new Worker(slot, link, workerConfig(slot, config, next?.mode ?? this.mode, this.workerSockets, this.statics), {
      spawned: (w) => {
        log(`spawned worker ${slot} (pid: ${w.pid}, cores: ${w.cores})`);
        this.events.emit('spawn', { slot, pid: w.pid });
      },
      ready: (w, info) => this.onWorkerReady(w, info),
      free: (w) => this.checks.workerFree(w),
      reload: (w) => this.onWorkerReload(w),
      served: (w, request) => this.onWorkerServed(w, request),
      harakiri: (w, report) => this.onWorkerHarakiri(w, report),
      exception: (w) => this.observed.counters.exception(w.slot),
      exit: (w, code, signal, notStarted) => this.onWorkerExit(w, code, signal, notStarted),
    });
    worker.requestLimit = requestLimitFor(slot, config);
    return worker;
  }

  /** Hands a ready worker to the dispatcher (unless paused: then it waits for the resume). */
  private serve(worker: Worker): void {
    if (!this.paused) this.dispatcher.addWorker(worker);
    else worker.pauseAccepting(true);
  }

  private onWorkerReady(worker: Worker, info: ReadyInfo): void {
    this.events.emit('ready', { slot: worker.slot, pid: worker.pid });
    const slot = this.slots[worker.slot - 1] as Slot | undefined;
    log(`worker ${worker.slot} (pid: ${worker.pid}) ready: ${info.app} (Python ${info.python})`);
    if (this.stopping || this.retiring.has(worker)) {
      worker.stop();
      return;
    }
    if (this.reloads.includes(worker)) {
      this.reloads.workerReady();
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
      this.events.emit('serving', { after: 'start' });
    }
  }

  /** A request the worker served on a uwsgi socket: counted and logged by the router, as the master's own are. */
  private onWorkerServed(worker: Worker, record: Buffer): void {
    this.router.served(worker, record);
    this.checks.requestServed(worker);
  }

  /** The worker's watchdog answered a uwsgi request past harakiri: the worker is replaced. */
  private onWorkerHarakiri(worker: Worker, report: HarakiriReport): void {
    this.checks.harakiri(worker, [answeredByWorker(report, () => this.router.served(worker, report.request))]);
  }

  /** The worker saw its code change (py-autoreload): every worker is replaced, as on SIGHUP. */
  private onWorkerReload(worker: Worker): void {
    if (this.slots[worker.slot - 1]?.worker !== worker) return;
    this.reload('graceful', `worker ${worker.slot} (pid: ${worker.pid}) has modified code (py-autoreload)`);
  }

  private onWorkerExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void {
    const how = notStarted ?? (signal !== null ? `killed by signal ${signal}` : code !== null ? `exit code ${code}`
      : 'exit status unknown: its zygote died before it');
    const name = workerName(worker);
    const index = worker.slot - 1;
    const wasReady = worker.readyAt !== 0;
    this.dispatcher.removeWorker(worker);
    this.checks.forget(worker);
    const retired = this.retiring.delete(worker);
    const slot = this.slots[index] as Slot | undefined;
    const wasSuccessor = slot?.successor === worker;
    const wasCurrent = slot?.worker === worker;
    if (slot !== undefined && wasSuccessor) slot.successor = null;
    if (slot !== undefined && wasCurrent) slot.worker = null;
    const cause = this.stopping || retired ? 'stopped' : wasReady ? 'died' : 'load-failed';
    this.events.emit('exit', { slot: worker.slot, pid: worker.pid, cause, code, signal });

    if (this.reloads.workerExited(worker, how, this.stopping, notStarted !== undefined) && !this.stopping) return;
    if (this.stopping) {
      log(`${name} stopped (${how})`);
      void this.stopper.workerExited();
      return;
    }
    this.respawns.afterExit({ worker, how, code, notStarted: notStarted !== undefined, retired, slot, wasCurrent, wasSuccessor });
  }

  // --- replacing workers: one slot, or all of them ------------------------------------------------

  /** Starts a successor for one slot; it takes over once ready (promote). False if one cannot start now. */
  private replaceSlot(index: number): boolean {
    const slot = this.slots[index];
    if (this.stopping || this.reloads.inProgress || slot.successor !== null) return false;
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
    if (this.chain.isReplacing(index)) this.chain.next();
  }

  /**
   * Takes a worker out of the dispatcher and asks it to finish its requests and exit, within
   * worker-reload-mercy. Requests waiting in the master go to the other workers meanwhile.
   */
  private retire(worker: Worker, brutal = false): void {
    if (this.retiring.has(worker)) return;
    this.retiring.add(worker);
    this.dispatcher.removeWorker(worker);
    if (brutal) worker.kill();
    else worker.stopWithin(this.config.workerReloadMercy);
  }

  reload(kind: ReloadKind, why: string): void {
    if (this.stopping) return;
    this.sockets.reloadCertificates();
    this.reloads.start(kind, why);
  }

  /** What a whole-server reload needs of the master (reloads.ts). */
  private reloadingMaster(): ReloadingMaster {
    return {
      events: this.events,
      running: () => ({ config: this.config, mode: this.mode, python: this.python }),
      rereadConfig: () => this.rereadConfig(),
      baseEnv: this.baseEnv,
      dropSuccessors: () => {
        this.chain.stop('a full reload started');
        for (const slot of this.slots) {
          if (slot.successor !== null) this.retire(slot.successor, true);
          slot.successor = null;
        }
      },
      startWorker: (slot, next) => this.startWorker(slot, next),
      takeOver: (next) => {
        const old = this.current;
        this.startingUp = false;
        ({ config: this.config, mode: this.mode, python: this.python } = next);
        this.zygotes.takeOver(next);
        this.slots = next.workers.map((worker) => emptySlot(worker));
        for (const worker of next.workers) this.serve(worker);
        this.checks.start();
        return old;
      },
      retire: (worker, brutal) => this.retire(worker, brutal),
      giveUp: (next) => this.zygotes.giveUp(next),
      respawnAll: () => { for (let index = 0; index < this.processes; index++) this.respawns.fill(index, 0); },
    };
  }

  chainReload(why: string): void {
    if (this.stopping) return;
    if (this.reloads.inProgress || this.chain.running) {
      log(`${why}: a reload is already in progress; chain reload ignored`);
      return;
    }
    log(`${why}: chain reload (one worker at a time)`);
    this.sockets.reloadCertificates();
    this.events.emit('reload', { kind: 'chain', why });
    this.chain.start(this.processes);
  }

  // --- the other verbs (signals, master FIFO) -----------------------------------------------------

  logStats(): void {
    logStats(this.snapshot(), this.observed.counters);
  }

  /** SIGUSR2 (uWSGI's "what i am doing"): the requests on uwsgi sockets are the workers' own, so each one reports them. */
  logWhatWorkersDo(): void {
    logWhatWorkersDo(this.snapshot(), Date.now());
    if (this.sockets.uwsgi.length > 0) for (const w of this.allWorkers()) if (w.state === 'ready') w.kill('SIGUSR2');
  }

  /** The master's state now: its workers, their requests, the counters and the queue. */
  snapshot(): MasterSnapshot {
    return {
      pid: process.pid,
      processes: this.processes,
      totalRequests: this.router.total,
      queued: this.dispatcher.queued,
      paused: this.paused,
      listeners: this.sockets.labels,
      workers: this.allWorkers().map((w) => workerSnapshot(w, this.roleOf(w))),
      zygote: this.config.lazyApps || this.config.lazy ? null : this.zygotes.snapshot(),
    };
  }

  private roleOf(worker: Worker): WorkerSnapshot['role'] {
    if (this.retiring.has(worker)) return 'retiring';
    if (this.reloads.includes(worker)) return 'next';
    return this.slots[worker.slot - 1]?.successor === worker ? 'successor' : 'serving';
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
    logPauseChange(this.paused);
  }

  addWorker(): void {
    if (this.stopping || this.reloads.inProgress) return;
    this.slots.push(emptySlot());
    log(`adding worker ${this.processes} (now ${this.processes} workers)`);
    this.respawns.fill(this.processes - 1, 0);
  }

  removeWorker(): void {
    if (this.stopping || this.reloads.inProgress) return;
    if (this.processes === 1) {
      log('cannot remove the last worker');
      return;
    }
    if (this.chain.isReplacing(this.processes - 1)) this.chain.stop('its last worker was removed');
    const { worker, successor } = this.slots.pop()!;
    log(`removing worker ${this.processes + 1} (now ${this.processes} workers)`);
    if (successor !== null) this.retire(successor, true);
    if (worker !== null) this.retire(worker);
  }

  writePidfiles(): void {
    rewritePidfiles([this.config.pidfile, this.config.pidfile2]);
  }

  refuse(what: string): void {
    log(`${what}: not supported by nuwsgi; ignored`);
  }

  private allWorkers(): Worker[] {
    return [...new Set([...workersIn(this.slots, true), ...this.retiring, ...this.reloads.workers])];
  }

  // --- stopping ------------------------------------------------------------------------------

  /** See shutdown.ts: graceful, or fast; a second request to stop kills the workers now. */
  shutdown(how: 'graceful' | 'fast', why: string, exitCode = 0): void {
    if (!this.stopping) {
      if (this.paused) this.togglePause();
      this.checks.stop();
      this.events.emit('stopping', { how, why });
    }
    this.stopper.begin(how, why, this.config.workerReloadMercy, exitCode);
  }

  private get stopping(): boolean {
    return this.stopper.started;
  }

  /** What the shutdown needs of the master. */
  private stoppingMaster(): StoppingMaster {
    return {
      sockets: this.sockets,
      router: this.router,
      allWorkers: () => this.allWorkers(),
      startingWorkers: () => [...this.slots.flatMap((slot) => slot.successor ?? []), ...this.reloads.workers],
      pending: () => this.dispatcher.inflight + this.dispatcher.queued + this.router.sendingFiles,
      finish: (code) => {
        this.zygotes.stopAll();
        this.releaseListeners();
        if (!this.startingUp || code === 0) log('goodbye to nuwsgi.');
        this.finish(code);
      },
    };
  }
}
