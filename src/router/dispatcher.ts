// Hands requests to workers (carriers). A request goes to a worker with an idle core when there is
// one; when every core is busy it may be pipelined to a worker that is making progress
// (canPipeline), which keeps the workers fed without a round trip per request; otherwise it waits
// here, in arrival order, for the first worker that frees a core. A request that would make that
// queue longer than --listen is answered 503.
import { ANSWERS } from '../listeners/answers.ts';
import type { RequestCarrier } from './carrier.ts';
import type { Exchange } from './exchange.ts';
import { QueueFullLog } from './queue-full-log.ts';

export class Dispatcher {
  /** --listen: the most requests that wait here for a worker. */
  private readonly listen: number;
  private readonly queueFullLog: QueueFullLog;
  private readonly workers: RequestCarrier[] = [];
  /** Removed workers that still hold requests: those count as in flight until they end. */
  private readonly leaving = new Set<RequestCarrier>();
  private queue: Exchange[] = [];
  private queueHead = 0;
  private rotation = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly onQueueFull: (queued: number) => void;

  /** `onQueueFull` hears of each request refused because the queue was full. */
  constructor(listen = 100, onQueueFull: (queued: number) => void = () => {}) {
    this.listen = listen;
    this.queueFullLog = new QueueFullLog(listen);
    this.onQueueFull = onQueueFull;
  }

  /** Requests accepted but not yet given to a worker. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Requests on workers, removed ones included. */
  get inflight(): number {
    let n = 0;
    for (const w of this.workers) n += w.inflight.size;
    for (const w of this.leaving) n += w.inflight.size;
    return n;
  }

  /** To a worker now, else into the queue, else (the queue is full) 503. */
  dispatch(exchange: Exchange): void {
    const worker = this.pickWorker();
    if (worker !== undefined && this.queued === 0) {
      worker.assign(exchange);
    } else if (this.queued >= this.listen && this.dropCancelled() >= this.listen) {
      this.queueFullLog.rejected(this.queued);
      this.onQueueFull(this.queued);
      exchange.refuse(ANSWERS.queueFull);
    } else {
      this.queue.push(exchange);
    }
  }

  /**
   * Takes out of the queue the requests whose client went away (they are otherwise skipped when
   * their turn comes), so that they do not count against --listen; returns how many wait.
   */
  private dropCancelled(): number {
    this.queue = this.queue.slice(this.queueHead).filter((exchange) => !exchange.cancelled);
    this.queueHead = 0;
    return this.queued;
  }

  /** A worker is ready to serve (after it loaded the app): it gets requests, and tells when it frees a core. */
  addWorker(worker: RequestCarrier): void {
    this.leaving.delete(worker);
    this.workers.push(worker);
    worker.onFree = () => {
      this.drainQueueInto(worker);
      this.notifyIfIdle();
    };
    this.drainQueueInto(worker);
  }

  /** It gets no more requests (those it holds go on); a request ending on it still counts toward idleness. */
  removeWorker(worker: RequestCarrier): void {
    const i = this.workers.indexOf(worker);
    if (i !== -1) this.workers.splice(i, 1);
    if (worker.inflight.size > 0) this.leaving.add(worker);
    else this.leaving.delete(worker);
    worker.onFree = () => {
      if (worker.inflight.size === 0) this.leaving.delete(worker);
      this.notifyIfIdle();
    };
    this.notifyIfIdle();
  }

  /** Resolves once nothing is queued or in flight (the router waits for post-buffering too). */
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

  private drainQueueInto(worker: RequestCarrier): void {
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
  private pickWorker(): RequestCarrier | undefined {
    const workers = this.workers;
    const n = workers.length;
    const now = Date.now();
    let best: RequestCarrier | undefined;
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
