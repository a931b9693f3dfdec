// Hands requests to workers. A request goes to a worker with an idle core when there is one; when
// every core is busy it may be pipelined to a worker that is making progress (Worker.canPipeline),
// which keeps the workers fed without a round trip per request; otherwise it waits here, in
// arrival order, for the first worker that frees a core.
//
// It is also where requests are admitted: a body declared larger than limit-post is answered 413,
// post-buffering receives the whole body before the request may take a worker, and a request that
// would make the queue longer than --listen is answered 503.
import type { Worker } from '../master/worker.ts';
import type { Exchange } from './exchange.ts';
import { QueueFullLog } from './queue-full-log.ts';

/** The options that decide admission (named as in Config, which can be passed as is). */
export interface AdmissionLimits {
  /** --listen: the most requests that wait here for a worker. */
  listen: number;
  /** --limit-post: the largest request body in bytes; 0 for no limit. */
  limitPost: number;
  /** --post-buffering: 0 streams bodies to the worker; N receives them first, in memory up to N bytes. */
  postBuffering: number;
}

/** When none are given: uWSGI's defaults. */
const DEFAULT_LIMITS: AdmissionLimits = { listen: 100, limitPost: 0, postBuffering: 0 };

export class Dispatcher {
  private readonly limits: AdmissionLimits;
  private readonly queueFullLog: QueueFullLog;
  private readonly workers: Worker[] = [];
  private queue: Exchange[] = [];
  private queueHead = 0;
  private rotation = 0;
  private idleWaiters: Array<() => void> = [];
  /** Requests whose body is being received (post-buffering): not queued yet, but not done either. */
  private buffering = 0;

  constructor(limits: AdmissionLimits = DEFAULT_LIMITS) {
    this.limits = limits;
    this.queueFullLog = new QueueFullLog(limits.listen);
  }

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
    const { limitPost, postBuffering } = this.limits;
    if (limitPost > 0) {
      exchange.bodyLimit = limitPost;
      if (exchange.bodyLength > limitPost) {
        exchange.refuseTooLarge();
        return;
      }
    }
    if (postBuffering > 0 && exchange.bodyLength !== 0) {
      this.buffering++;
      void exchange.bufferBody(postBuffering).then((ready) => {
        this.buffering--;
        if (ready) this.admit(exchange);
        else this.notifyIfIdle();
      });
      return;
    }
    this.admit(exchange);
  }

  /** To a worker now, else into the queue, else (the queue is full) 503. */
  private admit(exchange: Exchange): void {
    const worker = this.pickWorker();
    if (worker !== undefined && this.queued === 0) {
      worker.assign(exchange);
    } else if (this.queued >= this.limits.listen && this.dropCancelled() >= this.limits.listen) {
      this.queueFullLog.rejected(this.queued);
      exchange.refuse(503, ['Retry-After', '1']);
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

  /** Resolves once nothing is being buffered, queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queued === 0 && this.inflight === 0 && this.buffering === 0;
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
