// Hands requests to workers. A request goes to a worker with an idle core when there is one; when
// every core is busy it may be pipelined to a worker that is making progress (Worker.canPipeline),
// which keeps the workers fed without a round trip per request; otherwise it waits here, in
// arrival order, for the first worker that frees a core.
import type { Worker } from '../master/worker.ts';
import type { Exchange } from './exchange.ts';

export class Dispatcher {
  private readonly workers: Worker[] = [];
  private queue: Exchange[] = [];
  private queueHead = 0;
  private rotation = 0;
  private idleWaiters: Array<() => void> = [];

  /** Requests accepted but not yet given to a worker. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Requests on workers. */
  get inflight(): number {
    let n = 0;
    for (const w of this.workers) n += w.inflight.size;
    return n;
  }

  dispatch(exchange: Exchange): void {
    const worker = this.pickWorker();
    if (worker !== undefined && this.queued === 0) worker.assign(exchange);
    else this.queue.push(exchange);
  }

  /** A worker is ready to serve (after it loaded the app). */
  addWorker(worker: Worker): void {
    this.workers.push(worker);
    this.drainQueueInto(worker);
  }

  removeWorker(worker: Worker): void {
    const i = this.workers.indexOf(worker);
    if (i !== -1) this.workers.splice(i, 1);
    this.notifyIfIdle();
  }

  /** A worker finished a request. */
  workerFree(worker: Worker): void {
    this.drainQueueInto(worker);
    this.notifyIfIdle();
  }

  /** Resolves once nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queued === 0 && this.inflight === 0;
  }

  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private drainQueueInto(worker: Worker): void {
    const now = Date.now();
    while (this.queued > 0 && (worker.hasFreeCore || worker.canPipeline(now))) {
      const exchange = this.queue[this.queueHead++];
      if (this.queueHead === this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      if (!exchange.cancelled) worker.assign(exchange);
    }
  }

  /**
   * The least busy worker with an idle core, else the least busy one that can pipeline; rotating
   * among equals so that load spreads.
   */
  private pickWorker(): Worker | undefined {
    const workers = this.workers;
    const n = workers.length;
    const now = Date.now();
    let best: Worker | undefined;
    let bestIdle = false;
    for (let k = 0; k < n; k++) {
      const w = workers[(this.rotation + k) % n];
      const idle = w.hasFreeCore;
      if (!idle && (bestIdle || !w.canPipeline(now))) continue;
      if (best === undefined || (idle && !bestIdle) || w.inflight.size < best.inflight.size) {
        best = w;
        bestIdle = idle;
      }
    }
    this.rotation = n === 0 ? 0 : (this.rotation + 1) % n;
    return best;
  }
}
