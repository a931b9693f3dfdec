// One Python worker process as the master sees it: the process, its channel, the requests it has in
// flight, and the frames that go each way. How the process starts and the channel is established
// (spawned with an inherited socketpair, or forked by the zygote and connected back) is its link's
// (worker-link.ts); the rest only needs a duplex socket.
import type { Socket } from 'node:net';
import * as F from '../channel/frames.ts';
import { FrameDecoder, ChannelError } from '../channel/decoder.ts';
import { encodeFrame, encodeHeader, encodeJsonFrame, encodeLatin1Frame, encodeU32Frame } from '../channel/encoder.ts';
import { decodeHarakiri, type HarakiriReport } from '../channel/records.ts';
import { log } from '../observe/log.ts';
import type { WorkerAnswers } from '../listeners/answers.ts';
import type { RequestCarrier } from '../router/carrier.ts';
import type { Exchange } from '../router/exchange.ts';
import { Scoreboard } from './scoreboard.ts';
import type { LinkMaker, WorkerLink } from './worker-link.ts';
import type { CoreState } from './stats/stats-json.ts';

/** Requests a worker may hold per core beyond the one it runs (see canPipeline). */
const PIPELINE_DEPTH = 16;
const PIPELINE_MAX_AGE_MS = 20;
/** FILE_TAKEN's payloads. */
const FILE_TAKEN_YES = Buffer.from([1]);
const FILE_TAKEN_NO = Buffer.from([0]);

export type WorkerState = 'starting' | 'ready' | 'stopping' | 'dead';

/** What the worker learns in its CONFIG frame (docs/channel.md). */
export interface WorkerConfig {
  worker_id: number;
  master_pid: number;
  processes: number;
  /** Requests the worker runs at once: its cores. */
  threads: number;
  /** threads (one thread per core; 1 is the single-threaded worker) or gevent (one greenlet per core). */
  mode: 'threads' | 'gevent';
  app: { wsgi_file: string | null; module: string | null; callable: string };
  /** [mountpoint, app] pairs, app being a .py/.wsgi file or `pkg.mod[:callable]`. */
  mounts: [string, string][];
  manage_script_name: boolean;
  chdir2: string | null;
  pythonpath: string[];
  /** py-autoreload: seconds between scans of the modules' files; 0 is off. */
  py_autoreload: number;
  catch_exceptions: boolean;
  request_body_window: number;
  response_window: number;
  /** Whether requests come over the channel (there are HTTP listeners), besides the uwsgi sockets'. */
  channel_requests: boolean;
  /** The uwsgi sockets the worker accepts on: its descriptor for each (4, 5...), and the address as logged. */
  uwsgi_sockets: Array<{ fd: number; label: string }>;
  /** How the worker serves them. */
  uwsgi: UwsgiServing;
  /** The answer table (listeners/answers.ts), by status, for the answers the worker makes itself. */
  answers: WorkerAnswers;
  /** The static-file rules (router/static/rules.ts), for the uwsgi sockets the worker accepts on. */
  static_files: {
    mounts: Array<{ prefix: string; root: string; file: boolean; keep_prefix: boolean }>;
    index: string[];
    skip_ext: string[];
    safe: string[];
    expires: Array<{ subject: string; pattern: string; seconds: number; from_mtime: boolean }>;
    gzip: { all: boolean; dirs: string[]; exts: string[]; patterns: string[] };
    mime_types: Record<string, string>;
    add_headers: string[];
    serve_mode: string;
  };
  options: Record<string, string | boolean | string[]>;
  /** The worker's descriptor of its scoreboard (scoreboard.ts), set at spawn. */
  scoreboard_fd?: number;
  /** A forked worker's scoreboard: a file it opens, unlinked once it is ready. */
  scoreboard_path?: string;
  /** Set for the zygote only: where its forked workers connect (zygote.ts). */
  zygote?: { socket: string };
}

/** The options a worker applies to the connections it accepts on the uwsgi sockets. */
export interface UwsgiServing {
  buffer_size: number;
  socket_timeout: number;
  allow: readonly string[];
  trusted_proxies: readonly string[];
  limit_post: number;
  post_buffering: number;
  harakiri: number;
  /** Whether the master writes request log lines (the records then carry what they need). */
  log_requests: boolean;
  /** The request vars each REQUEST_DONE carries after its strings (docs/channel.md). */
  log_vars: readonly string[];
  /** The address of a record is a trusted proxy's X-Forwarded-For. */
  log_x_forwarded_for: boolean;
}

/** The descriptor the first inherited uwsgi socket has in a worker (after stdin, stdout, stderr and the channel). */
export const FIRST_SOCKET_FD = 4;

export interface ReadyInfo {
  pid: number;
  python: string;
  app: string;
}

/** How to start the process: which interpreter, its environment, where its output goes. */
export interface WorkerProcess {
  python: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The uwsgi sockets' descriptors in the master, in CONFIG's order. */
  sockets: readonly number[];
}

export interface WorkerEvents {
  /** Its process exists (at once when spawned; a forked worker once the zygote has forked it). */
  spawned(worker: Worker): void;
  ready(worker: Worker, info: ReadyInfo): void;
  /** A request over the channel finished (after the dispatcher heard of it: see onFree). */
  free(worker: Worker): void;
  /** Its code changed on disk (py-autoreload): it asks to be replaced. */
  reload(worker: Worker): void;
  /** It served a request on a uwsgi socket: `record` is REQUEST_DONE's payload (channel/records.ts). */
  served(worker: Worker, record: Buffer): void;
  /** A request on a uwsgi socket ran past harakiri; the worker answered for it. */
  harakiri(worker: Worker, report: HarakiriReport): void;
  /** The app raised an exception for one of its requests. */
  exception(worker: Worker): void;
  /** It is gone: its exit status, or (no process ever existed) why it did not start. */
  exit(worker: Worker, code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void;
}

export class Worker implements RequestCarrier {
  /** 1..processes, as uWSGI numbers its workers. */
  readonly slot: number;
  readonly cores: number;
  readonly spawnedAt = Date.now();
  state: WorkerState = 'starting';
  /** When it reported READY; 0 while it is still loading the app. */
  readyAt = 0;
  pid = 0;
  requestsServed = 0;
  /** Recycle it once it has served this many requests (max-requests); 0 is never. */
  requestLimit = 0;
  readonly inflight = new Map<number, Exchange>();
  onFree: (() => void) | null = null;

  /** What each of its cores is doing now. */
  private readonly scoreboard: Scoreboard;
  private readonly link: WorkerLink;
  /** null until the link connects it; the frames written before then wait in `early`. */
  private channel: Socket | null = null;
  private early: Buffer[] | null = [];
  private readonly decoder: FrameDecoder;
  private readonly events: WorkerEvents;
  private readonly pipelining: boolean;
  private nextId = 1;
  private corked = false;
  private dirty: Exchange[] = [];

  constructor(slot: number, makeLink: LinkMaker, config: WorkerConfig, events: WorkerEvents) {
    this.slot = slot;
    this.cores = config.threads;
    this.events = events;
    // Requests queue inside the worker beyond its cores (canPipeline) only without harakiri, where
    // a request's clock must start when it starts running, not when it was queued.
    this.pipelining = config.uwsgi.harakiri === 0;
    this.scoreboard = new Scoreboard(config.threads);
    config = { ...config };
    this.link = makeLink(slot, this.scoreboard, config);
    this.decoder = new FrameDecoder(F.isWorkerFrame, this.onFrame);
    this.write(encodeJsonFrame(F.CONFIG, 0, config));
    this.link.start({
      pid: (pid) => {
        this.pid = pid;
        this.events.spawned(this);
      },
      channel: (socket) => this.connected(socket),
      exit: (code, signal, notStarted) => this.onExit(code, signal, notStarted),
    });
  }

  private connected(channel: Socket): void {
    this.channel = channel;
    channel.on('data', this.onData);
    channel.on('error', () => {
      // EPIPE/ECONNRESET when the worker dies; its exit does the bookkeeping
    });
    const early = this.early ?? [];
    this.early = null;
    for (const buf of early) this.write(buf);
  }

  /** What each core is doing now (in a request or not, since when). */
  coreStates(): CoreState[] {
    return this.scoreboard.read();
  }

  /** True while a core is idle. */
  get hasFreeCore(): boolean {
    return this.state === 'ready' && this.inflight.size < this.cores;
  }

  /**
   * True while it can take a request beyond its cores, queued in the worker (pipelining): only up
   * to PIPELINE_DEPTH per core, and only while its oldest request is younger than PIPELINE_MAX_AGE_MS,
   * so that requests do not pile up behind one that turns out slow.
   */
  canPipeline(now: number): boolean {
    return this.pipelining && this.state === 'ready' && this.inflight.size < this.cores * (1 + PIPELINE_DEPTH) &&
      now - this.oldestDispatchMs < PIPELINE_MAX_AGE_MS;
  }

  /** When the oldest request in flight was sent (requests finish in order on a single core). */
  get oldestDispatchMs(): number {
    for (const exchange of this.inflight.values()) return exchange.dispatchedMs;
    return Infinity;
  }

  /** Sends a request to this worker. */
  assign(exchange: Exchange): void {
    const id = this.nextId;
    this.nextId = id === 0xffffffff ? 1 : id + 1;
    this.inflight.set(id, exchange);
    exchange.dispatchedMs = Date.now();
    this.write(encodeLatin1Frame(F.REQUEST, exchange.flags, id, exchange.environ));
    exchange.attach(this, id);
  }

  sendBody(id: number, chunk: Buffer): void {
    this.write(encodeHeader(F.BODY, 0, id, chunk.length));
    this.write(chunk);
  }

  sendBodyEnd(id: number, flags: number): void {
    this.write(encodeFrame(F.BODY_END, flags, id));
  }

  sendResponseCredit(id: number, bytes: number): void {
    this.write(encodeU32Frame(F.RESPONSE_CREDIT, id, bytes));
  }

  sendCancel(id: number): void {
    this.write(encodeFrame(F.CANCEL, 0, id));
  }

  sendFileTaken(id: number, taken: boolean): void {
    // the answer to a file that was being opened when the worker died goes nowhere
    if (this.state !== 'dead') this.write(encodeFrame(F.FILE_TAKEN, 0, id, taken ? FILE_TAKEN_YES : FILE_TAKEN_NO));
  }

  markDirty(exchange: Exchange): void {
    this.dirty.push(exchange);
  }

  /** Asks the worker to finish what it has and exit. */
  stop(): void {
    if (this.state === 'dead' || this.state === 'stopping') return;
    this.state = 'stopping';
    this.write(encodeFrame(F.STOP, 0, 0));
  }

  /** stop(), and SIGKILL if it is still alive after `mercy` seconds (worker-reload-mercy), with uWSGI's line. */
  stopWithin(mercy: number): void {
    this.stop();
    setTimeout(() => {
      if (this.state === 'dead') return;
      log(`worker ${this.slot} (pid: ${this.pid}) is taking too much time to die (worker-reload-mercy ${mercy} s)...NO MERCY !!!`);
      this.kill();
    }, mercy * 1000).unref();
  }

  /** Stops (or resumes) accepting connections on the uwsgi sockets: the master is paused. */
  pauseAccepting(paused: boolean): void {
    if (this.state !== 'dead') this.write(encodeFrame(paused ? F.PAUSE : F.RESUME, 0, 0));
  }

  kill(signal: NodeJS.Signals | number = 'SIGKILL'): void {
    if (this.state !== 'dead') this.link.kill(signal);
  }

  /** Closes the channel: the worker exits as soon as it reads the EOF (a fast shutdown). */
  closeChannel(): void {
    if (this.channel !== null) this.channel.end();
    else this.kill();
  }

  /**
   * Gives up on a request the worker is still running (harakiri): the worker is told to cancel it,
   * and whatever it sends for it from now on is dropped.
   */
  abandon(id: number): void {
    if (this.inflight.delete(id)) this.sendCancel(id);
  }

  /**
   * Frames written in one event-loop turn leave in one writev. setImmediate, not nextTick: nextTick
   * would flush after each client socket's callback, one write per request; setImmediate flushes
   * once after every callback of the poll phase, so the requests that arrived together leave together.
   */
  private write(buf: Buffer): void {
    if (this.channel === null) {
      this.early?.push(buf);
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.channel.cork();
      setImmediate(this.uncork);
    }
    this.channel.write(buf);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.channel?.uncork();
  };

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.decoder.feed(chunk);
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err;
      process.emitWarning(`worker ${this.slot} (pid: ${this.pid}) broke the channel: ${err.message}; killing it`);
      this.kill();
    }
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    for (const exchange of dirty) exchange.flush();
  };

  private readonly onFrame = (type: number, _flags: number, id: number, payload: Buffer): void => {
    if (id === 0) {
      if (type === F.REQUEST_DONE) this.onServed(payload);
      else if (type === F.READY) this.onReady(payload);
      else if (type === F.RELOAD) this.events.reload(this);
      else if (type === F.HARAKIRI) this.onHarakiri(payload);
      else if (type === F.APP_EXCEPTION) this.events.exception(this);
      return;
    }
    const exchange = this.inflight.get(id);
    if (exchange === undefined) return;
    switch (type) {
      case F.RESPONSE_HEAD:
        exchange.onHead(payload);
        break;
      case F.RESPONSE_BODY:
        exchange.onBody(payload);
        break;
      case F.RESPONSE_END:
        this.finish(id);
        exchange.onEnd();
        this.freed();
        break;
      case F.RESPONSE_ABORT:
        this.finish(id);
        exchange.onAbort(payload.toString('utf8'));
        this.freed();
        break;
      case F.BODY_CREDIT:
        exchange.onBodyCredit(payload.readUInt32LE(0));
        break;
      case F.RESPONSE_FILE:
        exchange.onFile(payload);
        break;
    }
  };

  private freed(): void {
    this.onFree?.();
    this.events.free(this);
  }

  private finish(id: number): void {
    this.inflight.delete(id);
    this.requestsServed++;
  }

  private onServed(record: Buffer): void {
    this.requestsServed++;
    this.events.served(this, record);
  }

  private onHarakiri(payload: Buffer): void {
    const report = decodeHarakiri(payload);
    if (report !== undefined) this.events.harakiri(this, report);
  }

  private onReady(payload: Buffer): void {
    if (this.state !== 'starting') return;
    this.state = 'ready';
    this.readyAt = Date.now();
    this.scoreboard.unlinkName();
    const info = JSON.parse(payload.toString('utf8')) as ReadyInfo;
    this.events.ready(this, info);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    const lost = [...this.inflight.values()];
    this.inflight.clear();
    for (const exchange of lost) exchange.onWorkerLost();
    this.channel?.destroy();
    this.early = null;
    this.scoreboard.unlinkName();
    this.scoreboard.close();
    this.events.exit(this, code, signal, notStarted);
  }
}
