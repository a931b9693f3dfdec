// A carrier with no process behind it, for in-process tests of the router, the dispatcher and the
// exchange: it records what the master sends a worker, and plays the worker's frames on command.
import type { RequestCarrier } from '../../src/router/carrier.ts';
import type { Exchange } from '../../src/router/exchange.ts';

/** What the master sent the carrier, in order. */
export type SentFrame =
  | { type: 'body'; id: number; bytes: number }
  | { type: 'body-end'; id: number; flags: number }
  | { type: 'credit'; id: number; bytes: number }
  | { type: 'cancel'; id: number }
  | { type: 'file-taken'; id: number; taken: boolean };

export class FakeCarrier implements RequestCarrier {
  readonly slot = 1;
  readonly pid: number;
  requestsServed = 0;
  readonly cores: number;
  /** Whether it takes requests beyond its cores. */
  pipelining = false;
  readonly inflight = new Map<number, Exchange>();
  onFree: (() => void) | null = null;
  /** Every request assigned to it, in order, with its id. */
  readonly assigned: Array<{ id: number; exchange: Exchange }> = [];
  readonly sent: SentFrame[] = [];
  private nextId = 1;
  private dirty: Exchange[] = [];

  constructor(pid = 1000, cores = 1) {
    this.pid = pid;
    this.cores = cores;
  }

  get hasFreeCore(): boolean {
    return this.inflight.size < this.cores;
  }

  canPipeline(): boolean {
    return this.pipelining;
  }

  assign(exchange: Exchange): void {
    const id = this.nextId++;
    this.inflight.set(id, exchange);
    this.assigned.push({ id, exchange });
    exchange.dispatchedMs = Date.now();
    exchange.attach(this, id);
  }

  sendBody(id: number, chunk: Buffer): void {
    this.sent.push({ type: 'body', id, bytes: chunk.length });
  }

  sendBodyEnd(id: number, flags: number): void {
    this.sent.push({ type: 'body-end', id, flags });
  }

  sendResponseCredit(id: number, bytes: number): void {
    this.sent.push({ type: 'credit', id, bytes });
  }

  sendCancel(id: number): void {
    this.sent.push({ type: 'cancel', id });
  }

  sendFileTaken(id: number, taken: boolean): void {
    this.sent.push({ type: 'file-taken', id, taken });
  }

  markDirty(exchange: Exchange): void {
    this.dirty.push(exchange);
  }

  // --- the worker's side: frames as the worker would send them --------------------------------

  /** RESPONSE_HEAD: `status` is a status line ("200 OK"), `headers` a flat [name, value, ...] list. */
  head(id: number, status: string, headers: string[] = []): void {
    this.exchange(id)?.onHead(Buffer.from([status, ...headers].join('\0'), 'latin1'));
  }

  /** RESPONSE_BODY frames, one per chunk, in one batch (flushed at its end, as the channel does). */
  body(id: number, ...chunks: Buffer[]): void {
    const exchange = this.exchange(id);
    if (exchange === undefined) return;
    for (const chunk of chunks) exchange.onBody(chunk);
    this.endBatch();
  }

  /** BODY_CREDIT: the app wants `bytes` more of the request body. */
  credit(id: number, bytes: number): void {
    this.exchange(id)?.onBodyCredit(bytes);
  }

  /**
   * RESPONSE_FILE: `count` bytes from `offset` of the carrier's descriptor `fd` (a carrier whose pid
   * is the test's own lends the master a descriptor the test opened).
   */
  file(id: number, fd: number, offset: number, count: number): void {
    const payload = Buffer.alloc(20);
    payload.writeUInt32LE(fd, 0);
    payload.writeDoubleLE(offset, 4);
    payload.writeDoubleLE(count, 12);
    this.exchange(id)?.onFile(payload);
  }

  /** RESPONSE_ABORT. */
  abort(id: number, reason: string): void {
    const exchange = this.exchange(id);
    if (exchange === undefined) return;
    this.inflight.delete(id);
    this.requestsServed++;
    exchange.onAbort(reason);
    this.onFree?.();
  }

  /** RESPONSE_END. */
  end(id: number): void {
    const exchange = this.exchange(id);
    if (exchange === undefined) return;
    this.inflight.delete(id);
    this.requestsServed++;
    exchange.onEnd();
    this.onFree?.();
  }

  /** The whole of a small response in one batch: head, body, end. */
  respond(id: number, status: string, headers: string[], body: string): void {
    this.head(id, status, headers);
    const exchange = this.exchange(id);
    exchange?.onBody(Buffer.from(body));
    this.end(id);
  }

  /** The process died: every request it held is lost, as the worker's exit handler does it. */
  die(): void {
    const lost = [...this.inflight.values()];
    this.inflight.clear();
    for (const exchange of lost) exchange.onWorkerLost();
  }

  /** The frames the master sent for request `id`. */
  sentFor(id: number): SentFrame[] {
    return this.sent.filter((frame) => frame.id === id);
  }

  private endBatch(): void {
    const dirty = this.dirty;
    this.dirty = [];
    for (const exchange of dirty) exchange.flush();
  }

  private exchange(id: number): Exchange | undefined {
    return this.inflight.get(id);
  }
}
