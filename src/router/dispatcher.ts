// Hands requests to workers. A worker never gets more requests in flight than it has cores; the
// rest wait here in arrival order and go to the first worker that frees a core.
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
    while (worker.hasFreeCore && this.queued > 0) {
      const exchange = this.queue[this.queueHead++];
      if (this.queueHead === this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      if (!exchange.cancelled) worker.assign(exchange);
    }
  }

  /** The least busy worker with a free core, rotating among equals so that load spreads. */
  private pickWorker(): Worker | undefined {
    const workers = this.workers;
    const n = workers.length;
    let best: Worker | undefined;
    for (let k = 0; k < n; k++) {
      const w = workers[(this.rotation + k) % n];
      if (!w.hasFreeCore) continue;
      if (best === undefined || w.inflight.size < best.inflight.size) best = w;
      if (w.inflight.size === 0) break;
    }
    this.rotation = n === 0 ? 0 : (this.rotation + 1) % n;
    return best;
  }
}
