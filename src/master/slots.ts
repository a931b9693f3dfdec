// The places workers serve in (uWSGI's worker ids), and how fast an empty one is filled again.
import { log } from '../observe/log.ts';
import { EXIT_APP_FAILED } from './startup-checks.ts';
import type { Worker } from './worker.ts';

/** Longest wait between respawns of a worker that keeps failing to load the app. */
const MAX_RESPAWN_BACKOFF_MS = 30_000;
/** Respawns closer together than this count as a loop (uWSGI's check-interval). */
const RESPAWN_WINDOW_MS = 1000;

/** One of the places a worker serves in; its number (index + 1) is the worker id. */
export interface Slot {
  /** The worker serving it (or starting to). */
  worker: Worker | null;
  /** A worker starting to take it over (recycling, chain reload, harakiri); it serves once ready. */
  successor: Worker | null;
  /** Consecutive failures to load the app, for the respawn back-off. */
  loadFailures: number;
  /** No recycling before this time (its last replacement failed to load the app). */
  recycleNotBefore: number;
}

export function emptySlot(worker: Worker | null = null): Slot {
  return { worker, successor: null, loadFailures: 0, recycleNotBefore: 0 };
}

/** The workers in `slots` (serving, or starting to), and their successors when `successors` is set. */
export function workersIn(slots: readonly Slot[], successors = false): Worker[] {
  const workers: Worker[] = [];
  for (const slot of slots) {
    if (slot.worker !== null) workers.push(slot.worker);
    if (successors && slot.successor !== null) workers.push(slot.successor);
  }
  return workers;
}

/** How long before a slot whose worker failed to load the app tries again: forkbomb-delay, doubled each time. */
function loadRetryDelayMs(slot: Slot, forkbombDelay: number): number {
  return Math.min(forkbombDelay * 1000 * 2 ** (slot.loadFailures - 1), MAX_RESPAWN_BACKOFF_MS);
}

/** `worker 1 (pid: 1234)`, or `worker 1` for one that has no process (yet, or ever). */
export function workerName(worker: { slot: number; pid: number }): string {
  return worker.pid === 0 ? `worker ${worker.slot}` : `worker ${worker.slot} (pid: ${worker.pid})`;
}

/**
 * A worker exited before it was ready, or never started (`notStarted`: its interpreter could not be
 * run, or its zygote). `replaced` is the slot whose successor it was, if it was one: then the
 * slot's current worker, if any, keeps serving until the next try.
 */
function logLoadFailure(worker: { slot: number; pid: number }, how: string, delayMs: number, replaced: Slot | null,
  notStarted = false): void {
  const next = `${delayMs / 1000} s`;
  const failed = `${notStarted ? 'could not start' : 'failed to load the app'} (${how})`;
  if (replaced === null) {
    log(`OOPS ! ${workerName(worker)} ${failed}: trying again in ${next}`);
    return;
  }
  log(`OOPS ! the replacement of ${workerName(worker)} ${failed}: ` +
    `${replaced.worker === null ? 'respawning' : 'the current worker keeps serving; next try'} in ${next}`);
}

/** uWSGI's forkbomb check: more respawns within a second than there are workers is a crash loop. */
export class RespawnThrottle {
  private times: number[] = [];

  /** Counts a respawn now; true when it makes a crash loop. */
  tooFast(processes: number, now = Date.now()): boolean {
    this.times = this.times.filter((t) => now - t < RESPAWN_WINDOW_MS);
    this.times.push(now);
    return this.times.length > processes;
  }

  /** How long before respawning a worker that died: 0, or forkbomb-delay in a crash loop (logged as uWSGI does). */
  delayAfterCrash(processes: number, forkbombDelay: number): number {
    if (!this.tooFast(processes)) return 0;
    log(`worker respawning too fast !!! i have to sleep a bit (${forkbombDelay} seconds)...`);
    return forkbombDelay * 1000;
  }
}

/** What filling the slots again needs of the master. */
export interface RespawningMaster {
  slot(index: number): Slot | undefined;
  stopping(): boolean;
  /** Until every first worker is ready: a worker that cannot load the app then stops the master. */
  startingUp(): boolean;
  processes(): number;
  forkbombDelay(): number;
  startWorker(slot: number): Worker;
  /** Stops the master, which exits with `exitCode`. */
  stop(exitCode: number): void;
  /** The successor of slot `index` could not load the app (a chain reload replacing it stops). */
  successorFailed(index: number): void;
}

/** A worker that exited outside a shutdown and a whole reload, and where it was. */
export interface WorkerExit {
  worker: Worker;
  /** How it ended, for the log. */
  how: string;
  code: number | null;
  /** It never had a process: its interpreter could not be run, or its zygote. */
  notStarted: boolean;
  /** The master had retired it (recycling, harakiri, removal, a successor took over). */
  retired: boolean;
  /** Its slot as it was (undefined once removed by SIGTTOU), and whether it served it or was its successor. */
  slot: Slot | undefined;
  wasCurrent: boolean;
  wasSuccessor: boolean;
}

/**
 * Fills slots whose worker exited, logging each exit as uWSGI does: a retired worker is buried, a
 * crashed one respawned at once (or after forkbomb-delay in a crash loop), one that could not load
 * the app tried again after a back-off, or, at start-up, the master stops.
 */
export class Respawns {
  private readonly throttle = new RespawnThrottle();
  private readonly master: RespawningMaster;

  constructor(master: RespawningMaster) {
    this.master = master;
  }

  afterExit(exit: WorkerExit): void {
    const master = this.master;
    const { worker, how, slot, wasSuccessor } = exit;
    const name = workerName(worker);
    const index = worker.slot - 1;
    const wasReady = worker.readyAt !== 0;
    if (exit.retired) {
      log(`${name} buried after ${((Date.now() - worker.spawnedAt) / 1000).toFixed(1)} seconds (${how})`);
      if (exit.wasCurrent) this.fill(index, 0);
      return;
    }
    if (!wasReady && master.startingUp()) {
      log(exit.notStarted ? `${name} could not start (${how}); stopping`
        : `${name} could not load the app (${how}): see the messages above; stopping`);
      master.stop(exit.code === EXIT_APP_FAILED ? EXIT_APP_FAILED : 1);
      return;
    }
    if (slot === undefined) return; // its slot was removed (SIGTTOU) meanwhile
    if (!wasReady) {
      slot.loadFailures++;
      const delayMs = loadRetryDelayMs(slot, master.forkbombDelay());
      logLoadFailure(worker, how, delayMs, wasSuccessor ? slot : null, exit.notStarted);
      if (wasSuccessor) slot.recycleNotBefore = Date.now() + delayMs;
      if (wasSuccessor) master.successorFailed(index);
      this.fill(index, delayMs);
      return;
    }
    log(`DAMN ! ${name} died (${how}) after ${worker.requestsServed} requests :( respawning`);
    this.fill(index, this.throttle.delayAfterCrash(master.processes(), master.forkbombDelay()));
  }

  /** Starts a worker for an empty slot after `delayMs`, unless something else fills it meanwhile. */
  fill(index: number, delayMs: number): void {
    const respawn = () => {
      const slot = this.master.slot(index);
      if (this.master.stopping() || slot === undefined || slot.worker !== null || slot.successor !== null) return;
      slot.worker = this.master.startWorker(index + 1);
    };
    if (delayMs === 0) respawn();
    else setTimeout(respawn, delayMs).unref();
  }
}
