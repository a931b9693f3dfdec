// systemd's notify protocol (sd_notify(3)), for a unit with Type=notify: READY=1 once every worker
// is ready, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a whole-server reload, STOPPING=1
// when the shutdown begins, STATUS= lines saying what the workers do, WATCHDOG=1 at half of
// WATCHDOG_USEC, and MAINPID= only when the main process is not the one systemd started (after
// --daemonize). A chain reload replaces the workers one at a time without the server ever being
// less than ready: it only changes STATUS.
//
// The messages are datagrams on a unix socket, which Node cannot send: a Python process of the
// standard library's (python/nuwsgi_notify.py) sends them for the master, and the unit's
// NotifyAccess=all lets systemd take them from it. NOTIFY_SOCKET and WATCHDOG_* are taken out of
// the environment at start, so that neither the app nor anything it starts talks to systemd as if
// it were the service.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { log } from '../observe/log.ts';
import type { Lifecycle, MasterSnapshot } from './lifecycle.ts';
import { workerPackageDir } from './python.ts';

/** How often STATUS= is refreshed when something changed (requests served, workers). */
const STATUS_INTERVAL_MS = 2000;

/** What the environment told about systemd's notify socket and watchdog. */
export interface NotifyEnvironment {
  /** NOTIFY_SOCKET: a path, or `@name` in the abstract namespace. */
  socket: string;
  /** WATCHDOG_USEC, when the watchdog is on for this process. */
  watchdogUsec: number | undefined;
}

/**
 * Removes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` and returns what they said;
 * undefined when this process is not to notify anyone. WATCHDOG_PID, when set, names the process
 * the watchdog is for.
 */
export function takeNotifyEnvironment(env: NodeJS.ProcessEnv): NotifyEnvironment | undefined {
  const socket = env.NOTIFY_SOCKET;
  const watchdogUsec = Number(env.WATCHDOG_USEC);
  const watchdogPid = env.WATCHDOG_PID === undefined ? process.pid : Number(env.WATCHDOG_PID);
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (socket === undefined || socket === '') return undefined;
  const watchdog = Number.isSafeInteger(watchdogUsec) && watchdogUsec > 0 && watchdogPid === process.pid;
  return { socket, watchdogUsec: watchdog ? watchdogUsec : undefined };
}

/** The state of the server in a STATUS= line: `3 workers ready, 1 busy, 120 requests served`. */
export function statusLine(snapshot: MasterSnapshot): string {
  const ready = snapshot.workers.filter((w) => w.role === 'serving' && w.state === 'ready').length;
  const busy = snapshot.workers.filter((w) => w.role === 'serving' && w.inflight.length > 0).length;
  return `${ready} of ${snapshot.processes} workers ready, ${busy} busy, ${snapshot.totalRequests} requests served`;
}

/**
 * Notifies systemd from now on: starts the sender with `python` and follows the master's `events`;
 * `snapshot` gives its state for STATUS=. `mainPidChanged`: this process is not the one systemd
 * started (it daemonized).
 */
export function notifySystemd(notify: NotifyEnvironment, python: string, events: Lifecycle, snapshot: () => MasterSnapshot,
  mainPidChanged: boolean): void {
  new SystemdNotifier(notify, python).follow(events, snapshot, mainPidChanged);
}

class SystemdNotifier {
  private readonly sender: ChildProcess;
  private lastStatus = '';
  private stopping = false;
  private readonly watchdogUsec: number | undefined;

  constructor(notify: NotifyEnvironment, python: string) {
    this.watchdogUsec = notify.watchdogUsec;
    this.sender = spawn(python, ['-I', '-S', path.join(workerPackageDir, 'nuwsgi_notify.py'), notify.socket], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    this.sender.on('error', (err) => log(`cannot notify systemd on ${notify.socket}: ${err.message}`));
    this.sender.stdin!.on('error', () => {});
    // it exits with the master; neither it nor its pipe keeps the master's event loop going
    this.sender.unref();
    (this.sender.stdin as unknown as { unref?: () => void }).unref?.();
  }

  follow(events: Lifecycle, snapshot: () => MasterSnapshot, mainPidChanged: boolean): void {
    const status = () => `STATUS=${statusLine(snapshot())}`;
    events.on('serving', ({ after }) => {
      if (this.stopping) return;
      const first = after === 'start';
      this.send(['READY=1', ...(first && mainPidChanged ? [`MAINPID=${process.pid}`] : []), status()]);
    });
    events.on('reload', ({ kind, why }) => {
      if (this.stopping) return;
      if (kind === 'chain') this.send([`STATUS=chain reload: ${why}`]);
      else this.send(['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, `STATUS=reloading: ${why}`]);
    });
    events.on('stopping', ({ why }) => {
      this.stopping = true;
      this.send(['STOPPING=1', `STATUS=stopping${why === '' ? '' : `: ${why}`}`]);
    });

    this.every(STATUS_INTERVAL_MS, () => {
      if (this.stopping) return;
      const line = status();
      if (line !== this.lastStatus) this.send([line]);
    });
    if (this.watchdogUsec !== undefined) {
      // sd_watchdog_enabled(3): ping at half the interval, so that one late tick is no timeout
      this.every(Math.max(1, Math.floor(this.watchdogUsec / 2000)), () => this.send(['WATCHDOG=1']));
    }
  }

  private every(ms: number, tick: () => void): void {
    setInterval(tick, ms).unref();
  }

  private send(assignments: string[]): void {
    for (const assignment of assignments) if (assignment.startsWith('STATUS=')) this.lastStatus = assignment;
    // one assignment is one line of the datagram: a newline in a value would start another
    const lines = assignments.map((assignment) => assignment.replace(/\n/g, ' '));
    if (this.sender.stdin?.writable) this.sender.stdin.write(`${JSON.stringify(lines)}\n`);
  }
}
