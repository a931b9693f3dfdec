// What the router needs of whatever carries requests to an app: a worker process today (its
// channel, master/worker.ts). The router and the dispatcher depend on these interfaces only, so
// they know nothing of processes, and can be tested with a fake carrier.
import type { Exchange } from './exchange.ts';

/** The worker side of one exchange: the frames it sends for it. */
export interface ExchangeCarrier {
  /** Its worker id, 1..processes. */
  readonly slot: number;
  readonly pid: number;
  readonly requestsServed: number;
  sendBody(id: number, chunk: Buffer): void;
  sendBodyEnd(id: number, flags: number): void;
  sendResponseCredit(id: number, bytes: number): void;
  sendCancel(id: number): void;
  /** FILE_TAKEN: whether the master sends the file of the worker's RESPONSE_FILE (else the worker does). */
  sendFileTaken(id: number, taken: boolean): void;
  /** Registers the exchange to have its coalesced body chunk flushed at the end of the current batch. */
  markDirty(exchange: Exchange): void;
}

/** A carrier as the dispatcher sees it: its cores, its requests in flight, and when a core frees. */
export interface RequestCarrier extends ExchangeCarrier {
  /** True while a core is idle. */
  readonly hasFreeCore: boolean;
  /** The requests it holds, by their channel id, oldest first. */
  readonly inflight: ReadonlyMap<number, Exchange>;
  /** Whether it can take a request beyond its cores now (pipelining). */
  canPipeline(now: number): boolean;
  /** Sends it a request. */
  assign(exchange: Exchange): void;
  /** Set by the dispatcher while it hands the carrier requests: called each time a request on it ends. */
  onFree: (() => void) | null;
}
