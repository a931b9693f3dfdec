// The zygote as the master sees it (python/nuwsgi_worker/zygote.py is its side): a Python process
// that imports the apps once and forks the workers on request, so that they share the app's
// memory copy-on-write and a replacement is ready in milliseconds (uWSGI's default, non-lazy mode;
// gunicorn's --preload). Its channel carries FORK one way and FORKED/FORK_EXIT the other.
//
// A forked worker is the zygote's child, not the master's: the zygote waits for it and reports its
// exit status. If the zygote dies first, its workers keep serving (they are reparented, and talk to
// the master over their own channels); the master then knows of a worker's end by its channel
// closing and its pid vanishing, without an exit status.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import * as F from '../channel/frames.ts';
import { FrameDecoder, ChannelError } from '../channel/decoder.ts';
import { encodeJsonFrame } from '../channel/encoder.ts';
import type { ForkRendezvous, ForkStream } from './fork-rendezvous.ts';
import { spawnPython, type LinkHooks, type LinkMaker, type WorkerLink } from './worker-link.ts';
import type { ReadyInfo, WorkerConfig, WorkerProcess } from './worker.ts';
import { afterOutput, relayWorkerOutput } from './worker-output.ts';

/** How often an orphaned worker (its zygote died) is looked for once its channel closed. */
const ORPHAN_POLL_MS = 50;
/** How long after a fork's channel closed and its pid vanished the master stops waiting for its exit status. */
const UNREPORTED_EXIT_GRACE_MS = 1000;

export interface ZygoteEvents {
  ready(zygote: Zygote, info: ReadyInfo): void;
  /** One of its forks is gone. */
  forkGone(zygote: Zygote): void;
  /** It is gone; `notStarted` says why when it never started (the interpreter could not be run). */
  exit(zygote: Zygote, code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void;
}

export class Zygote {
  /** 0 when it could not be started. */
  readonly pid: number;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt = Date.now();
  state: 'loading' | 'ready' | 'dead' = 'loading';
  /** When it reported READY; 0 while it is still loading the apps (or never did). */
  readyAt = 0;
  /** Forks asked for before it was ready. */
  private queue: ForkedWorker[] = [];
  /** FORK sent, FORKED not yet come, by token. */
  private readonly forking = new Map<string, ForkedWorker>();
  /** Its live forks, by pid. */
  private readonly forks = new Map<number, ForkedWorker>();
  private readonly child: ChildProcess;
  private readonly channel: Socket;
  private readonly decoder: FrameDecoder;
  private readonly rendezvous: ForkRendezvous;
  private readonly events: ZygoteEvents;

  constructor(how: WorkerProcess, config: WorkerConfig, rendezvous: ForkRendezvous, events: ZygoteEvents) {
    this.rendezvous = rendezvous;
    this.events = events;
    ({ child: this.child, channel: this.channel } = spawnPython(how, how.sockets, 0, (code, signal, notStarted) => this.onExit(code, signal, notStarted)));
    this.pid = this.child.pid ?? 0;
    this.decoder = new FrameDecoder(F.isZygoteFrame, this.onFrame);
    this.channel.on('data', (chunk: Buffer) => {
      try {
        this.decoder.feed(chunk);
      } catch (err) {
        if (!(err instanceof ChannelError)) throw err;
        process.emitWarning(`the zygote (pid: ${this.pid}) broke its channel: ${err.message}; killing it`);
        this.kill();
      }
    });
    this.channel.on('error', () => {});
    this.channel.write(encodeJsonFrame(F.CONFIG, 0, { ...config, zygote: { socket: rendezvous.path } }));
  }

  /** Forks in flight and live: while it has any, a retired zygote stays, to report their exits. */
  get hasForks(): boolean {
    return this.queue.length + this.forking.size + this.forks.size > 0;
  }

  /** How a worker is started from this zygote (Worker's link). */
  readonly forkLink: LinkMaker = (slot, scoreboard, config) => {
    config.scoreboard_path = scoreboard.path;
    return new ForkedWorker(this, this.rendezvous, slot);
  };

  /** Asks for a fork now, or once the apps are loaded. */
  request(fork: ForkedWorker): void {
    if (this.state === 'dead') fork.end(null, null);
    else if (this.state === 'loading') this.queue.push(fork);
    else this.sendFork(fork);
  }

  /** Drops a fork not asked of the zygote yet; false when it is too late (it is being forked). */
  cancel(fork: ForkedWorker): boolean {
    const index = this.queue.indexOf(fork);
    if (index === -1) return false;
    this.queue.splice(index, 1);
    return true;
  }

  /** The zygote exits once it reads the EOF; its workers are not affected. */
  stop(): void {
    this.channel.end();
  }

  kill(): void {
    if (this.state !== 'dead') this.child.kill('SIGKILL');
  }

  forgetFork(fork: ForkedWorker): void {
    if (this.forks.get(fork.pid) === fork) this.forks.delete(fork.pid);
    this.events.forkGone(this);
  }

  private sendFork(fork: ForkedWorker): void {
    this.forking.set(fork.token, fork);
    this.channel.write(encodeJsonFrame(F.FORK, 0, { token: fork.token }));
  }

  private readonly onFrame = (type: number, _flags: number, _id: number, payload: Buffer): void => {
    const message = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    if (type === F.READY && this.state === 'loading') {
      this.state = 'ready';
      this.readyAt = Date.now();
      this.events.ready(this, message as unknown as ReadyInfo);
      const queue = this.queue;
      this.queue = [];
      for (const fork of queue) this.sendFork(fork);
    } else if (type === F.FORKED) {
      const fork = this.forking.get(String(message.token));
      if (fork === undefined) return;
      this.forking.delete(fork.token);
      this.forks.set(Number(message.pid), fork);
      fork.forked(Number(message.pid));
    } else if (type === F.FORK_EXIT) {
      const fork = this.forks.get(Number(message.pid));
      const signal = typeof message.signal === 'number' ? signalName(message.signal) : null;
      fork?.end(typeof message.code === 'number' ? message.code : null, signal);
    }
  };

  private onExit(code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void {
    this.state = 'dead';
    this.channel.destroy();
    // the forks it had not made yet never will be; the ones it made live on, orphaned
    const unborn = [...this.queue, ...this.forking.values()];
    this.queue = [];
    this.forking.clear();
    // its own exit is logged first: the workers' lines that follow refer to it
    this.events.exit(this, code, signal, notStarted);
    for (const fork of unborn) fork.end(code, signal, notStarted === undefined ? undefined : 'its zygote could not start');
    for (const fork of this.forks.values()) fork.orphaned();
  }
}

/**
 * 128 random bits in hex, from the kernel: node:crypto's randomBytes would make a master that has
 * no other use for node:crypto load it (about 2 MiB of RSS) for this alone.
 */
function randomToken(): string {
  const bytes = Buffer.alloc(16);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    fs.readSync(fd, bytes);
  } finally {
    fs.closeSync(fd);
  }
  return bytes.toString('hex');
}

/** A worker forked by a zygote: the link of its Worker (worker-link.ts). */
class ForkedWorker implements WorkerLink {
  pid = 0;
  readonly token = randomToken();
  private hooks: LinkHooks | null = null;
  private readonly streams: Socket[] = [];
  private channel: Socket | null = null;
  private pendingSignal: NodeJS.Signals | number | null = null;
  private ended = false;
  private readonly zygote: Zygote;
  private readonly rendezvous: ForkRendezvous;
  private readonly slot: number;

  constructor(zygote: Zygote, rendezvous: ForkRendezvous, slot: number) {
    this.zygote = zygote;
    this.rendezvous = rendezvous;
    this.slot = slot;
  }

  start(hooks: LinkHooks): void {
    this.hooks = hooks;
    this.rendezvous.expect(this.token, (stream, socket, pid) => this.arrived(stream, socket, pid));
    this.zygote.request(this);
  }

  kill(signal: NodeJS.Signals | number): void {
    if (this.ended) return;
    if (this.pid !== 0) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone: its exit is on its way
      }
    } else if (this.zygote.cancel(this)) {
      this.end(null, typeof signal === 'string' ? signal : signalName(signal));
    } else {
      this.pendingSignal = signal;
    }
  }

  forked(pid: number): void {
    this.pid = pid;
    this.hooks?.pid(pid);
    if (this.pendingSignal !== null) this.kill(this.pendingSignal);
  }

  /** It is gone (or was never forked): its exit, once its output and channel are read to the end. */
  end(code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.rendezvous.forget(this.token);
    afterOutput(this.streams, () => {
      this.zygote.forgetFork(this);
      this.hooks?.exit(code, signal, notStarted);
    });
  }

  /** Its zygote died: it ends when its channel has closed and its pid is gone (exit status unknown). */
  orphaned(): void {
    this.endWhenGone(0);
  }

  /**
   * Ends it once its channel is closed and its pid has been gone for `graceMs`, unless its exit
   * comes first. The zygote reports an exit within milliseconds; this is for the exit it cannot
   * report (it died, or something else reaped its child).
   */
  private endWhenGone(graceMs: number): void {
    let goneSince = 0;
    const poll = setInterval(() => {
      const channelOpen = this.channel !== null && !this.channel.destroyed && !this.channel.readableEnded;
      if (this.ended) {
        clearInterval(poll);
      } else if (channelOpen || isAlive(this.pid)) {
        goneSince = 0;
      } else if (goneSince === 0 && graceMs > 0) {
        goneSince = Date.now();
      } else if (Date.now() - goneSince >= graceMs) {
        clearInterval(poll);
        this.end(null, null);
      }
    }, ORPHAN_POLL_MS);
    poll.unref();
  }

  private arrived(stream: ForkStream, socket: Socket, pid: number): void {
    this.streams.push(socket);
    if (stream === 'channel') {
      this.channel = socket;
      socket.once('close', () => this.endWhenGone(UNREPORTED_EXIT_GRACE_MS));
      this.hooks?.channel(socket);
    } else {
      relayWorkerOutput(socket, this.slot, pid, stream);
    }
  }
}

/** Whether `pid` is a process that has not exited (a zombie has). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));

function signalName(signal: number): NodeJS.Signals | null {
  return SIGNAL_NAMES.get(signal) ?? null;
}
