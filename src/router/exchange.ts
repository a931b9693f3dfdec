// One request on its way through the master: from the listener that parsed it, to the worker that
// runs the app, and back. It owns the flow control of both bodies (docs/channel.md, "Flow control"):
// the request body is forwarded to the worker within the credit the worker grants, and response
// credit is returned to the worker as the client accepts the bytes.
//
// A listener subclasses it and implements the response side for its wire protocol (the abstract
// methods at the bottom); everything protocol-independent lives here.
import type { Readable } from 'node:stream';
import { FLAG_ABORTED, FLAG_EXPECT_CONTINUE, FLAG_HAS_BODY } from '../channel/frames.ts';
import { log, logRequest } from '../observe/log.ts';
import { BodyBrokenOff, bufferBody, TOO_LARGE } from './post-buffer.ts';

/** The worker side of an exchange: what a worker must offer to carry one. */
export interface ExchangeCarrier {
  readonly pid: number;
  readonly requestsServed: number;
  sendBody(id: number, chunk: Buffer): void;
  sendBodyEnd(id: number, flags: number): void;
  sendResponseCredit(id: number, bytes: number): void;
  sendCancel(id: number): void;
  /** Registers the exchange to have its coalesced body chunk flushed at the end of the current batch. */
  markDirty(exchange: Exchange): void;
}

/** Per-request-body and per-response credit windows (docs/channel.md). */
export const REQUEST_BODY_WINDOW = 1024 * 1024;
export const RESPONSE_WINDOW = 1024 * 1024;
const RESPONSE_CREDIT_BATCH = RESPONSE_WINDOW / 2;

export interface RequestInfo {
  method: string;
  uri: string;
  protocol: string;
  remoteAddr: string;
}

/** Counters shared by every exchange of a master (for the request log line). */
export interface RequestCounters {
  total: number;
  logging: boolean;
}

export abstract class Exchange {
  /** The environ block sent in the REQUEST frame. */
  readonly environ: string;
  /** REQUEST frame flags (HAS_BODY, EXPECT_CONTINUE). */
  flags: number;
  readonly info: RequestInfo;
  /** The request body's declared length: 0 without a body, -1 when unknown (chunked). */
  readonly bodyLength: number;
  /** limit-post: the request stops when its body grows past this many bytes; 0 for no limit. */
  bodyLimit = 0;
  readonly startedMs = Date.now();
  /** When a worker took it. */
  dispatchedMs = 0;

  /** Set when a worker takes the request. */
  carrier: ExchangeCarrier | null = null;
  id = 0;
  /** The client went away: the response is discarded. */
  cancelled = false;
  /** A terminal frame arrived, or the worker died: nothing more happens to this exchange. */
  finished = false;

  private body: Readable | null;
  /** The body is the master's own copy (post-buffering): destroyed when the exchange ends. */
  private bodyBuffered = false;
  private bodyReceived = 0;
  private bodyCredit = 0;
  private bodyRemainder: Buffer | null = null;
  private bodyEndPending = false;
  private continued = false;

  private status = 0;
  private reason = '';
  private headers: string[] | null = null;
  private headWritten = false;
  /** A body chunk held until the end of the batch, so that head + body + end become one write. */
  private pendingChunk: Buffer | null = null;
  private dirty = false;
  private creditOwed = 0;
  private drainOwed = 0;
  private waitingDrain = false;
  private bodyBytes = 0;

  private readonly counters: RequestCounters;

  constructor(environ: string, info: RequestInfo, body: Readable | null, bodyLength: number, expectContinue: boolean,
    counters: RequestCounters) {
    this.environ = environ;
    this.info = info;
    this.body = body;
    this.bodyLength = body === null ? 0 : bodyLength;
    this.flags = (body !== null ? FLAG_HAS_BODY : 0) | (expectContinue ? FLAG_EXPECT_CONTINUE : 0);
    this.counters = counters;
  }

  /** Called by the worker once it sent the REQUEST frame. */
  attach(carrier: ExchangeCarrier, id: number): void {
    this.carrier = carrier;
    this.id = id;
    const body = this.body;
    if (body === null) return;
    this.bodyCredit = this.flags & FLAG_EXPECT_CONTINUE ? 0 : REQUEST_BODY_WINDOW;
    // listeners are made here, not as fields, so that requests without a body allocate none
    body.on('data', (chunk: Buffer) => this.onBodyData(chunk));
    body.on('end', () => this.onBodyEnd());
    body.on('error', () => this.onBodyError());
  }

  /**
   * post-buffering: receives the whole body (in memory up to `memoryLimit` bytes, else in a
   * temporary file) before the request may go to a worker. Resolves true when it may; false when
   * it was answered here (413 past limit-post) or the client went away.
   */
  async bufferBody(memoryLimit: number): Promise<boolean> {
    const body = this.body;
    if (body === null) return true;
    if (this.flags & FLAG_EXPECT_CONTINUE) {
      // the master is the one reading the body now, so it tells the client to send it
      this.flags &= ~FLAG_EXPECT_CONTINUE;
      this.continued = true;
      this.sendContinue();
    }
    let buffered;
    try {
      buffered = await bufferBody(body, { memoryLimit, maxBytes: this.bodyLimit });
    } catch (err) {
      // a body that broke off is the listener's to log and close; a failure to store it is ours
      if (!(err instanceof BodyBrokenOff)) {
        log(`${this.info.method} ${this.info.uri}: ${(err as Error).message}: answered 500`);
        this.refuse(500);
      }
      return false;
    }
    if (buffered === TOO_LARGE) {
      this.refuseTooLarge();
      return false;
    }
    this.body = buffered;
    this.bodyBuffered = true;
    if (this.cancelled) {
      this.releaseBody();
      return false;
    }
    return true;
  }

  /**
   * Answers the client here, without a worker (413, 503...), and ends the exchange. What the
   * client still sends of its body is discarded.
   */
  refuse(status: number, headers: readonly string[] = []): void {
    if (this.finished) return;
    this.finished = true;
    this.status = status;
    this.releaseBody();
    if (!this.cancelled) this.failResponse(status, headers);
    this.logDone();
  }

  /** The body is larger than limit-post (as declared, or as received by post-buffering): 413. */
  refuseTooLarge(): void {
    log(`${this.describeTooLarge()}: answered 413; raise it with --limit-post`);
    this.refuse(413);
  }

  private describeTooLarge(): string {
    const size = this.bodyLength > this.bodyLimit ? `of ${this.bodyLength} bytes` : `of more than ${this.bodyLimit} bytes`;
    return `${this.info.method} ${this.info.uri}: request body ${size} exceeds limit-post (${this.bodyLimit})`;
  }

  /**
   * A body of unknown length (chunked) grew past limit-post while it went to the worker: the
   * request is cancelled there (the app's next wsgi.input read raises OSError), and the client gets
   * 413 when nothing of the response went out yet, else a response cut short.
   */
  private stopTooLarge(): void {
    this.cancel();
    this.releaseBody();
    if (this.headWritten) {
      log(`${this.describeTooLarge()}: response cut short; raise it with --limit-post`);
      this.abortConnection();
      return;
    }
    log(`${this.describeTooLarge()}: answered 413; raise it with --limit-post`);
    this.status = 413;
    this.failResponse(413, []);
  }

  // --- request body: client -> worker ---------------------------------------------------------

  private onBodyData(chunk: Buffer): void {
    if (this.finished || this.cancelled) return; // the app is done; the listener drains the rest
    this.bodyReceived += chunk.length;
    if (this.bodyLimit > 0 && this.bodyReceived > this.bodyLimit) {
      this.stopTooLarge();
      return;
    }
    const carrier = this.carrier!;
    if (chunk.length <= this.bodyCredit) {
      this.bodyCredit -= chunk.length;
      carrier.sendBody(this.id, chunk);
      return;
    }
    const n = this.bodyCredit;
    if (n > 0) carrier.sendBody(this.id, chunk.subarray(0, n));
    this.bodyCredit = 0;
    this.bodyRemainder = chunk.subarray(n);
    this.body!.pause();
  }

  private onBodyEnd(): void {
    if (this.finished || this.cancelled) return;
    if (this.bodyRemainder !== null) this.bodyEndPending = true;
    else this.carrier!.sendBodyEnd(this.id, 0);
  }

  private onBodyError(): void {
    if (this.finished || this.cancelled) return;
    this.bodyRemainder = null;
    this.carrier!.sendBodyEnd(this.id, FLAG_ABORTED);
  }

  /** BODY_CREDIT from the worker: the app wants more of the body. */
  onBodyCredit(bytes: number): void {
    if (this.body === null || this.finished) return;
    if (!this.continued && this.flags & FLAG_EXPECT_CONTINUE) {
      this.continued = true;
      this.sendContinue();
    }
    this.bodyCredit += bytes;
    const rest = this.bodyRemainder;
    if (rest === null) return;
    const n = Math.min(rest.length, this.bodyCredit);
    this.carrier!.sendBody(this.id, n === rest.length ? rest : rest.subarray(0, n));
    this.bodyCredit -= n;
    if (n < rest.length) {
      this.bodyRemainder = rest.subarray(n);
      return;
    }
    this.bodyRemainder = null;
    if (this.bodyEndPending) this.carrier!.sendBodyEnd(this.id, 0);
    else this.body.resume();
  }

  // --- response: worker -> client --------------------------------------------------------------

  /** RESPONSE_HEAD: "200 OK\0Name\0value\0..." */
  onHead(block: Buffer): void {
    if (this.cancelled) return;
    const parts = block.toString('latin1').split('\0');
    const statusLine = parts.shift()!;
    this.status = (statusLine.charCodeAt(0) - 48) * 100 + (statusLine.charCodeAt(1) - 48) * 10 + (statusLine.charCodeAt(2) - 48);
    this.reason = statusLine.slice(4);
    this.headers = parts;
  }

  onBody(chunk: Buffer): void {
    if (this.cancelled) return;
    this.bodyBytes += chunk.length;
    if (this.pendingChunk !== null) this.writeChunk(this.pendingChunk);
    this.pendingChunk = chunk;
    if (!this.dirty) {
      this.dirty = true;
      this.carrier!.markDirty(this);
    }
  }

  /** End of a batch of frames: whatever was coalesced goes to the client now (never held longer). */
  flush(): void {
    this.dirty = false;
    const chunk = this.pendingChunk;
    if (chunk === null || this.finished) return;
    this.pendingChunk = null;
    this.writeChunk(chunk);
  }

  /** RESPONSE_END: complete the response. */
  onEnd(): void {
    this.finished = true;
    this.releaseBody();
    if (!this.cancelled && this.headers === null) {
      // never a default 200: a response without a head is the worker's fault
      this.breakResponse('the worker ended the response without sending its head', 502);
    } else if (!this.cancelled) {
      this.writeHeadOnce();
      const last = this.pendingChunk;
      this.pendingChunk = null;
      this.endResponse(last);
    }
    this.logDone();
  }

  /** RESPONSE_ABORT: the app failed after its head; the client must see a broken response. */
  onAbort(reason: string): void {
    this.finished = true;
    this.releaseBody();
    if (!this.cancelled) this.breakResponse(reason);
    this.logDone();
  }

  /** The worker died or was killed (harakiri gives 504): the client gets `status` if nothing was sent yet. */
  onWorkerLost(reason = 'the worker died', status = 502): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseBody();
    if (!this.cancelled) this.breakResponse(reason, status);
    this.logDone();
  }

  /** The client went away before the response was complete. */
  cancel(): void {
    if (this.finished || this.cancelled) return;
    this.cancelled = true;
    this.pendingChunk = null;
    if (this.carrier !== null) this.carrier.sendCancel(this.id);
    else if (this.bodyBuffered) this.releaseBody(); // queued: nothing will read the buffered body
  }

  private breakResponse(reason: string, statusIfNothingSent = 500): void {
    if (this.headers === null && !this.headWritten) {
      this.status = statusIfNothingSent;
      log(`${this.info.method} ${this.info.uri}: answered ${statusIfNothingSent} because ${reason}`);
      this.failResponse(statusIfNothingSent, []);
      return;
    }
    this.writeHeadOnce();
    const last = this.pendingChunk;
    this.pendingChunk = null;
    if (last !== null) this.writeToClient(last);
    this.abortConnection();
  }

  private writeHeadOnce(): void {
    if (this.headWritten || this.headers === null) return;
    this.headWritten = true;
    this.writeHead(this.status, this.reason, this.headers);
  }

  private writeChunk(chunk: Buffer): void {
    this.writeHeadOnce();
    if (this.writeToClient(chunk)) {
      this.creditOwed += chunk.length;
      if (this.creditOwed >= RESPONSE_CREDIT_BATCH) {
        this.carrier!.sendResponseCredit(this.id, this.creditOwed);
        this.creditOwed = 0;
      }
      return;
    }
    this.drainOwed += chunk.length;
    if (!this.waitingDrain) {
      this.waitingDrain = true;
      this.onClientDrain(() => this.onDrain());
    }
  }

  private onDrain(): void {
    this.waitingDrain = false;
    if (this.finished || this.cancelled) return;
    this.carrier!.sendResponseCredit(this.id, this.creditOwed + this.drainOwed);
    this.creditOwed = 0;
    this.drainOwed = 0;
  }

  /**
   * Stops forwarding the request body. A buffered copy is destroyed (which closes its temporary
   * file); otherwise the listener discards what the client still sends.
   */
  private releaseBody(): void {
    const body = this.body;
    if (body === null) return;
    this.bodyRemainder = null;
    if (this.bodyBuffered) body.destroy();
    else if (body.isPaused() || body.readableFlowing === null) body.resume();
  }

  private logDone(): void {
    const counters = this.counters;
    counters.total++;
    if (!counters.logging) return;
    const headers = this.headers;
    let headerBytes = 0;
    let headerCount = 0;
    if (headers !== null) {
      headerCount = headers.length >> 1;
      for (let i = 0; i < headers.length; i += 2) headerBytes += headers[i].length + headers[i + 1].length + 4;
    }
    const carrier = this.carrier;
    logRequest({
      workerPid: carrier === null ? 0 : carrier.pid,
      workerRequests: carrier === null ? 0 : carrier.requestsServed,
      totalRequests: counters.total,
      remoteAddr: this.info.remoteAddr,
      varCount: this.varCount(),
      varBytes: this.environ.length,
      startedMs: this.startedMs,
      msecs: Math.round(Date.now() - this.startedMs),
      core: 0,
      method: this.info.method,
      uri: this.info.uri,
      protocol: this.info.protocol,
      status: this.status,
      bodyBytes: this.bodyBytes,
      headerCount,
      headerBytes,
    });
  }

  /** uWSGI counts keys and values separately ("{24 vars in 331 bytes}"). */
  private varCount(): number {
    let n = 1;
    const env = this.environ;
    for (let i = env.indexOf('\0'); i !== -1; i = env.indexOf('\0', i + 1)) n++;
    return n;
  }

  // --- the listener's side ------------------------------------------------------------------------

  /** Starts the response: status, reason and headers as a flat [name, value, name, value, ...] list. */
  protected abstract writeHead(status: number, reason: string, headers: string[]): void;
  /** Writes body bytes; false when the client is slow (onClientDrain tells when to go on). */
  protected abstract writeToClient(chunk: Buffer): boolean;
  /** Completes the response, with a last chunk if there is one. */
  protected abstract endResponse(last: Buffer | null): void;
  /** Ends the connection so that the client sees an incomplete response. */
  protected abstract abortConnection(): void;
  /** Answers a whole error response with extra headers (nothing was sent yet). */
  protected abstract failResponse(status: number, headers: readonly string[]): void;
  /** Tells the client to go on sending its body (HTTP 100 Continue). */
  protected abstract sendContinue(): void;
  protected abstract onClientDrain(callback: () => void): void;
}
