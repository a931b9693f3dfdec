// The master: binds the listeners, spawns and supervises the workers, and turns signals into
// verbs (shutdown, stats). Its verbs follow gunicorn's arbiter and uWSGI's master: spawn, reap,
// respawn with a throttle when workers die in a loop, stop gracefully within a mercy timeout.
import fs from 'node:fs';
import type { Config } from '../config/config.ts';
import { parseSocketAddress } from '../listeners/address.ts';
import type { BindOptions, BoundSocket, Listener } from '../listeners/bind.ts';
import { HttpListener } from '../listeners/http.ts';
import { UwsgiListener } from '../listeners/uwsgi.ts';
import { log } from '../observe/log.ts';
import { Dispatcher } from '../router/dispatcher.ts';
import { REQUEST_BODY_WINDOW, RESPONSE_WINDOW, type RequestCounters } from '../router/exchange.ts';
import { dropPrivileges, socketOwner } from './privileges.ts';
import { concurrencyMode, type ConcurrencyMode } from './mode.ts';
import { canImportGevent, resolvePython, workerArgs, PythonNotFound } from './python.ts';
import { Worker, type ReadyInfo, type WorkerConfig } from './worker.ts';

/** uWSGI's exit status for "the app could not be loaded" (UWSGI_FAILED_APP_CODE). */
export const EXIT_APP_FAILED = 22;
/** Longest wait between respawns of a worker that keeps failing to load the app. */
const MAX_RESPAWN_BACKOFF_MS = 30_000;
/** Respawns closer together than this count as a loop (uWSGI's check-interval). */
const RESPAWN_WINDOW_MS = 1000;
/** How long stopped workers get to exit before SIGKILL, once their requests are done. */
const STOP_GRACE_MS = 5000;

export class StartupError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export class Arbiter {
  private readonly config: Config;
  private readonly mode: ConcurrencyMode;
  private readonly dispatcher = new Dispatcher();
  private readonly counters: RequestCounters;
  private readonly listeners: Listener[] = [];
  /** What the listeners are bound to, for vacuum. */
  private readonly boundSockets: BoundSocket[] = [];
  private readonly slots: Array<Worker | null>;
  /** Consecutive failures to load the app, per slot, for the respawn back-off. */
  private readonly loadFailures: number[];
  private respawnTimes: number[] = [];
  /** Workers stopped to be replaced (py-autoreload): their exit is planned, not a crash. */
  private readonly reloading = new Set<Worker>();
  private python = '';
  private startingUp = true;
  private stopping = false;
  /** The last moment of worker-reload-mercy once stopping began. */
  private mercyDeadline = 0;
  private listenersClosed: Promise<unknown> | undefined;
  private finishing = false;
  private exitCode = 0;
  private finish: (code: number) => void = () => {};
  private readonly done: Promise<number>;

  constructor(config: Config) {
    this.config = config;
    this.mode = concurrencyMode(config);
    this.counters = { total: 0, logging: !config.disableLogging };
    this.slots = new Array<Worker | null>(config.processes).fill(null);
    this.loadFailures = new Array<number>(config.processes).fill(0);
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
    for (const assignment of config.env) {
      // putenv() semantics, as in uWSGI: KEY=VALUE sets, KEY alone removes, '' does nothing.
      const eq = assignment.indexOf('=');
      if (eq === -1) delete process.env[assignment];
      else process.env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
    try {
      this.python = resolvePython(config.home, process.env.PATH);
    } catch (err) {
      if (err instanceof PythonNotFound) throw new StartupError(err.message);
      throw err;
    }
    this.checkAppSource();
    log(this.mode.logLine);
    if (this.mode.kind === 'gevent' && !canImportGevent(this.python)) {
      throw new StartupError(`gevent = ${config.gevent} needs gevent in the workers' Python (${this.python}): ` +
        'apt-get install python3-gevent, or pip install gevent in the virtualenv');
    }
    try {
      await this.bindListeners();
      this.dropPrivileges();
    } catch (err) {
      this.releaseListeners();
      throw err;
    }
    this.installSignalHandlers();
    for (let slot = 1; slot <= config.processes; slot++) this.spawn(slot);
    return this.done;
  }

  /** A missing --wsgi-file, or a missing file given to --mount, is reported before any worker starts. */
  private checkAppSource(): void {
    const file = this.config.wsgiFile;
    if (file !== undefined && !fs.existsSync(file)) {
      throw new StartupError(`--wsgi-file ${file}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED);
    }
    for (const { mountpoint, app } of this.config.mounts) {
      if (isAppFile(app) && !fs.existsSync(app)) {
        throw new StartupError(
          `--mount ${mountpoint}=${app}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED);
      }
    }
  }

  /** Every listener of the configuration: --http, --http-socket, --socket (per --protocol), --uwsgi-socket. */
  private async bindListeners(): Promise<void> {
    const config = this.config;
    const wanted = [
      ...config.http.map((spec) => ({ option: 'http', spec, protocol: 'http' })),
      ...config.httpSocket.map((spec) => ({ option: 'http-socket', spec, protocol: 'http' })),
      ...config.socket.map((spec) => ({ option: 'socket', spec, protocol: config.protocol })),
      ...config.uwsgiSocket.map((spec) => ({ option: 'uwsgi-socket', spec, protocol: 'uwsgi' })),
    ];
    const bindOptions = this.bindOptions();
    for (const { option, spec, protocol } of wanted) {
      let address;
      try {
        address = parseSocketAddress(spec);
      } catch (err) {
        throw new StartupError(`--${option} ${(err as Error).message}`);
      }
      const listener: Listener = protocol === 'http'
        ? new HttpListener(address, this.dispatcher, this.counters, {
          maxHeadSize: config.bufferSize,
          keepAliveTimeoutMs: config.httpKeepalive * 1000,
          trustedProxies: config.trustedProxies,
        })
        : new UwsgiListener(address, this.dispatcher, this.counters, {
          maxDatasize: config.bufferSize,
          socketTimeoutMs: config.socketTimeout * 1000,
          allow: config.uwsgiAllow,
          trustedProxies: config.trustedProxies,
        });
      let bound;
      try {
        bound = await listener.listen(bindOptions);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new StartupError(`cannot listen on --${option} ${spec}: ${e.code ?? ''} ${e.message}`.replace('  ', ' '));
      }
      this.listeners.push(listener);
      this.boundSockets.push(bound);
      log(`${protocol === 'http' ? 'HTTP' : 'uwsgi'} listening on ${bound.label}`);
    }
  }

  /** listen (checked against the kernel's limit, as uWSGI does), chmod-socket, chown-socket. */
  private bindOptions(): BindOptions {
    const config = this.config;
    const somaxconn = kernelListenLimit();
    if (somaxconn !== undefined && config.listen > somaxconn) {
      throw new StartupError(`--listen ${config.listen}: the listen queue size is greater than the system maximum ` +
        `net.core.somaxconn (${somaxconn}): lower --listen, or raise net.core.somaxconn with sysctl`);
    }
    let owner;
    if (config.chownSocket !== undefined) {
      try {
        owner = socketOwner(config.chownSocket);
      } catch (err) {
        throw new StartupError(`--chown-socket ${config.chownSocket}: ${(err as Error).message}`);
      }
    }
    return { backlog: config.listen, mode: config.chmodSocket, owner };
  }

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
  }

  /** Stops accepting; resolves once every connection has closed (each after its response). */
  private closeListeners(): Promise<unknown> {
    this.listenersClosed ??= Promise.all(this.listeners.map((listener) => listener.close()));
    return this.listenersClosed;
  }

  /** Drops whatever connections are left; with vacuum, removes the unix socket files. */
  private releaseListeners(): void {
    void this.closeListeners();
    for (const listener of this.listeners) listener.closeAll();
    if (this.config.vacuum) for (const bound of this.boundSockets) bound.removeFile();
  }

  private workerConfig(slot: number): WorkerConfig {
    const c = this.config;
    return {
      worker_id: slot,
      master_pid: c.master ? process.pid : 0,
      processes: c.processes,
      threads: this.mode.cores,
      mode: this.mode.kind,
      app: { wsgi_file: c.wsgiFile ?? null, module: c.module ?? null, callable: c.callable },
      mounts: c.mounts.map(({ mountpoint, app }) => [mountpoint, app]),
      manage_script_name: c.manageScriptName,
      chdir2: c.chdir2 ?? null,
      pythonpath: c.pythonpath,
      py_autoreload: c.pyAutoreload,
      catch_exceptions: c.catchExceptions,
      request_body_window: REQUEST_BODY_WINDOW,
      response_window: RESPONSE_WINDOW,
      options: c.options,
    };
  }

  private spawn(slot: number): void {
    const worker = new Worker(slot, this.python, workerArgs(), this.workerConfig(slot), {
      ready: (w, info) => this.onWorkerReady(w, info),
      free: (w) => this.dispatcher.workerFree(w),
      reload: (w) => this.onWorkerReload(w),
      exit: (w, code, signal) => this.onWorkerExit(w, code, signal),
    });
    this.slots[slot - 1] = worker;
    log(`spawned worker ${slot} (pid: ${worker.pid}, cores: ${worker.cores})`);
  }

  private onWorkerReady(worker: Worker, info: ReadyInfo): void {
    this.loadFailures[worker.slot - 1] = 0;
    log(`worker ${worker.slot} (pid: ${worker.pid}) ready: ${info.app} (Python ${info.python})`);
    if (this.stopping) {
      worker.stop();
      return;
    }
    this.dispatcher.addWorker(worker);
    if (this.startingUp && this.slots.every((w) => w !== null && w.state === 'ready')) {
      this.startingUp = false;
      log(`*** nuwsgi is ready: ${this.config.processes} worker${this.config.processes === 1 ? '' : 's'} ***`);
    }
  }

  /**
   * The worker saw its code change: it gets no new request, finishes those it has (STOP) and exits;
   * onWorkerExit starts its replacement. Meanwhile requests go to the other workers, or wait here.
   */
  private onWorkerReload(worker: Worker): void {
    if (this.stopping || worker.state !== 'ready') return;
    log(`worker ${worker.slot} (pid: ${worker.pid}) has modified code (py-autoreload): ` +
      `reloading it once its ${worker.inflight.size} requests are done`);
    this.reloading.add(worker);
    this.dispatcher.removeWorker(worker);
    worker.stop();
  }

  private onWorkerExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal !== null ? `killed by signal ${signal}` : `exit code ${code}`;
    const wasReady = worker.readyAt !== 0;
    const planned = this.reloading.delete(worker);
    this.dispatcher.removeWorker(worker);
    if (this.slots[worker.slot - 1] === worker) this.slots[worker.slot - 1] = null;
    if (this.stopping) {
      log(`worker ${worker.slot} (pid: ${worker.pid}) stopped (${how})`);
      void this.finishIfAllStopped();
      return;
    }
    if (planned && code === 0) {
      log(`worker ${worker.slot} (pid: ${worker.pid}) reloaded after ${worker.requestsServed} requests: respawning`);
      this.spawn(worker.slot);
      return;
    }
    if (!wasReady && this.startingUp) {
      log(`worker ${worker.slot} (pid: ${worker.pid}) could not load the app (${how}): see the messages above; stopping`);
      void this.shutdown(null, code === EXIT_APP_FAILED ? EXIT_APP_FAILED : 1);
      return;
    }
    const slotIndex = worker.slot - 1;
    let delayMs = 0;
    if (!wasReady) {
      this.loadFailures[slotIndex]++;
      delayMs = Math.min(this.config.forkbombDelay * 1000 * 2 ** (this.loadFailures[slotIndex] - 1), MAX_RESPAWN_BACKOFF_MS);
      log(`OOPS ! worker ${worker.slot} (pid: ${worker.pid}) failed to load the app (${how}): trying again in ${delayMs / 1000} s`);
    } else {
      log(`DAMN ! worker ${worker.slot} (pid: ${worker.pid}) died (${how}) after ${worker.requestsServed} requests :( respawning`);
      if (this.respawningTooFast()) {
        delayMs = this.config.forkbombDelay * 1000;
        log(`worker respawning too fast !!! i have to sleep a bit (${this.config.forkbombDelay} seconds)...`);
      }
    }
    const respawn = () => {
      if (!this.stopping && this.slots[slotIndex] === null) this.spawn(worker.slot);
    };
    if (delayMs === 0) respawn();
    else setTimeout(respawn, delayMs).unref();
  }

  /** More respawns within the last check interval than there are workers: a crash loop. */
  private respawningTooFast(): boolean {
    const now = Date.now();
    this.respawnTimes = this.respawnTimes.filter((t) => now - t < RESPAWN_WINDOW_MS);
    this.respawnTimes.push(now);
    return this.respawnTimes.length > this.config.processes;
  }

  private installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
      process.on(signal, () => void this.shutdown(signal, 0));
    }
    // Without a listener, SIGUSR1 would open node's inspector on :9229; uWSGI users send it for stats.
    process.on('SIGUSR1', () => this.logStats());
    process.on('SIGHUP', () => log('SIGHUP received: graceful reload is not implemented in this version (see docs/compat.md); ignored'));
  }

  private logStats(): void {
    log(`workers total requests: ${this.counters.total}`);
    for (const w of this.slots) {
      if (w !== null) log(`worker ${w.slot} (pid: ${w.pid}) ${w.state}: ${w.requestsServed} requests, ${w.inflight.size} in flight`);
    }
    log(`queued requests: ${this.dispatcher.queued}`);
  }

  /**
   * Graceful shutdown: stop accepting, let queued and in-flight requests finish within
   * worker-reload-mercy, stop the workers, exit. A second signal makes it immediate.
   */
  private async shutdown(signal: NodeJS.Signals | null, exitCode: number): Promise<void> {
    if (this.stopping) {
      if (signal !== null) {
        log(`${signal} received again: killing the workers now`);
        this.killAll();
      }
      return;
    }
    this.stopping = true;
    this.exitCode = exitCode;
    const mercy = this.config.workerReloadMercy;
    this.mercyDeadline = Date.now() + mercy * 1000;
    if (signal !== null) {
      log(`${signal} received: graceful shutdown (${this.dispatcher.inflight + this.dispatcher.queued} requests to finish, mercy ${mercy} s)`);
    }
    void this.closeListeners();
    const mercyTimer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), mercy * 1000).unref());
    const outcome = await Promise.race([this.dispatcher.whenIdle().then(() => 'idle' as const), mercyTimer]);
    if (outcome === 'timeout') {
      log(`worker-reload-mercy (${mercy} s) is over with ${this.dispatcher.inflight} requests still running: killing the workers`);
      this.killAll();
    } else {
      for (const w of this.slots) w?.stop();
      setTimeout(() => this.killAll(), STOP_GRACE_MS).unref();
    }
    void this.finishIfAllStopped();
  }

  private killAll(): void {
    for (const w of this.slots) w?.kill();
    for (const listener of this.listeners) listener.closeAll();
  }

  private async finishIfAllStopped(): Promise<void> {
    if (!this.stopping || this.finishing || this.slots.some((w) => w !== null)) return;
    this.finishing = true;
    // Responses handed to the listeners may still be on their way to slow clients: let them
    // drain (their connections close after them), within what is left of the mercy.
    const left = Math.max(0, this.mercyDeadline - Date.now());
    await Promise.race([this.closeListeners(), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    this.releaseListeners();
    if (!this.startingUp || this.exitCode === 0) log('goodbye to nuwsgi.');
    this.finish(this.exitCode);
  }
}

/** net.core.somaxconn, where the kernel tells (Linux). */
function kernelListenLimit(): number | undefined {
  try {
    const value = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isSafeInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a --mount app names a file (as uWSGI decides: by the .py or .wsgi suffix) rather than a module. */
function isAppFile(app: string): boolean {
  return app.endsWith('.py') || app.endsWith('.wsgi');
}
