// Carries out the limits on a worker's life (limits.ts, harakiri.ts): after each request and on the
// master's check tick (--check-interval, which also checks the touch files), a worker past harakiri
// or due for recycling gets a successor in its slot and retires.
import type { Config } from '../config/config.ts';
import { log } from '../observe/log.ts';
import type { MasterVerbs } from './commands.ts';
import { answerOverdue, killHarakiried, overdueOnChannel, type OverdueRequest } from './harakiri.ts';
import type { Lifecycle } from './lifecycle.ts';
import { recycleReason, residentBytes } from './limits.ts';
import type { Slot } from './slots.ts';
import { watchTouchFiles } from './touch.ts';
import type { Worker } from './worker.ts';

/** What the checks need of the master. */
export interface CheckedMaster {
  config(): Config;
  readonly events: Lifecycle;
  stopping(): boolean;
  /** A whole reload is in progress: it replaces every worker, so none is recycled meanwhile. */
  reloading(): boolean;
  slot(index: number): Slot | undefined;
  /** The workers serving the slots (or starting to). */
  current(): Worker[];
  /** Workers out of the dispatcher, finishing their requests: harakiri still applies to theirs. */
  readonly retiring: ReadonlySet<Worker>;
  /** Starts a successor for a slot; false if one cannot start now. */
  replaceSlot(index: number): boolean;
  retire(worker: Worker): void;
  /** What a touched file asks for (touch-reload, touch-workers-reload, touch-chain-reload). */
  readonly verbs: MasterVerbs;
}

export class LimitChecks {
  /** Harakiri'd workers: killed once their other requests are done. */
  private readonly doomed = new Set<Worker>();
  private tick: NodeJS.Timeout | undefined;
  private checkTouchFiles = (): void => {};
  private readonly master: CheckedMaster;

  constructor(master: CheckedMaster) {
    this.master = master;
  }

  /** (Re)starts the check tick with the current configuration's interval and touch files. */
  start(): void {
    const config = this.master.config();
    clearInterval(this.tick);
    this.checkTouchFiles = watchTouchFiles(config, this.master.verbs);
    this.tick = setInterval(() => this.check(), config.checkInterval * 1000);
    this.tick.unref();
  }

  stop(): void {
    clearInterval(this.tick);
  }

  /** A request over the channel finished: a harakiri'd worker may be done, another one due for max-requests. */
  workerFree(worker: Worker): void {
    if (this.doomed.has(worker)) {
      if (worker.inflight.size === 0 && this.master.config().harakiriGracefulTimeout === 0) worker.kill();
    } else if (worker.requestLimit > 0 && worker.requestsServed >= worker.requestLimit) {
      this.recycleIfDue(worker, Date.now());
    }
  }

  /** The worker served a request on a uwsgi socket: it may be due for max-requests. */
  requestServed(worker: Worker): void {
    if (worker.requestLimit > 0 && worker.requestsServed >= worker.requestLimit) this.recycleIfDue(worker, Date.now());
  }

  /** The worker exited: nothing is left to kill. */
  forget(worker: Worker): void {
    this.doomed.delete(worker);
  }

  /**
   * Requests past --harakiri get 504 now; their worker stops taking requests, a replacement starts,
   * and the worker is killed once its other requests are done (or after harakiri-graceful-timeout).
   */
  harakiri(worker: Worker, overdue: OverdueRequest[]): void {
    const master = this.master;
    const config = master.config();
    const first = !this.doomed.has(worker);
    answerOverdue(worker, overdue, config, first);
    master.events.emit('harakiri', { slot: worker.slot, pid: worker.pid, requests: overdue.map((request) => request.info) });
    if (!first) return;
    this.doomed.add(worker);
    if (master.slot(worker.slot - 1)?.worker === worker) master.replaceSlot(worker.slot - 1);
    master.retire(worker);
    killHarakiried(worker, config);
  }

  private check(): void {
    const master = this.master;
    if (master.stopping()) return;
    const now = Date.now();
    for (const [worker, overdue] of overdueOnChannel([...master.current(), ...master.retiring], master.config().harakiri, now)) {
      this.harakiri(worker, overdue);
    }
    for (const worker of master.current()) this.recycleIfDue(worker, now);
    this.checkTouchFiles();
  }

  /** Replaces `worker` if a limit says so (max-requests, max-worker-lifetime, reload-on-rss). */
  private recycleIfDue(worker: Worker, now: number): void {
    const master = this.master;
    const index = worker.slot - 1;
    const slot = master.slot(index);
    if (master.stopping() || slot?.worker !== worker || slot.successor !== null || now < slot.recycleNotBefore) return;
    const reason = recycleReason(worker, master.config(), now, residentBytes);
    if (reason === undefined || master.reloading()) return;
    // Before the replacement's spawn event, so that whoever counts respawns knows why.
    log(`...The work of worker ${worker.slot} (pid: ${worker.pid}) is done (${reason}): its replacement is starting. Seeya!`);
    master.events.emit('recycle', { slot: worker.slot, pid: worker.pid, reason });
    master.replaceSlot(index);
  }
}
