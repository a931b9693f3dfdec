// One request on its way through the master: from the listener that parsed it, to the worker that
// runs the app, and back. It owns the flow control of both bodies (docs/channel.md, "Flow control"):
// the request body is forwarded to the worker within the credit the worker grants, and response
// credit is returned to the worker as the client accepts the bytes.
//
// The response goes out through the listener's ResponseWriter; it comes from the worker's frames,
// or from the answer table when the master answers itself (limits, a worker lost, harakiri), or
// from a file the worker hands over (offload.ts), which ends the response once it is sent.
import type { Readable } from 'node:stream';
import { FLAG_ABORTED, FLAG_EXPECT_CONTINUE, FLAG_HAS_BODY } from '../channel/frames.ts';
import type { ServedRequest } from '../channel/records.ts';
import { ANSWERS, cutShortLine, logAnswer, logRefusal, type Answer } from '../listeners/answers.ts';
import type { ParsedRequest, Refusal, ResponseWriter } from '../listeners/request.ts';
import type { ExchangeCarrier } from './carrier.ts';
import { log } from '../observe/log.ts';
import { FileOffloads, type FileResponse, type FileSend } from './offload.ts';
import { BodyBrokenOff, bufferBody, TOO_LARGE } from './post-buffer.ts';
import { servedRequest } from './served-request.ts';

/** Per-request-body and per-response credit windows (docs/channel.md). */
export const REQUEST_BODY_WINDOW = 1024 * 1024;
export const RESPONSE_WINDOW = 1024 * 1024;
const RESPONSE_CREDIT_BATCH = RESPONSE_WINDOW / 2;

/** What the logs say of a request (harakiri, SIGUSR2). */
export interface RequestInfo {
  method: string;
  uri: string;
  protocol: string;
  remoteAddr: string;
}

export class Exchange implements FileResponse {
  /** The environ block sent in the REQUEST frame. */
  readonly environ: string;
  /** REQUEST frame flags (HAS_BODY, EXPECT_CONTINUE). */
  flags: number;
  readonly info: ParsedRequest;
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
  /** The listener could not send the worker's head; a 502 went out instead. */
  private headRefused = false;
  /** A body chunk held until the end of the batch, so that head + body + end become one write. */
  private pendingChunk: Buffer | null = null;
  private dirty = false;
  private creditOwed = 0;
  private drainOwed = 0;
  private waitingDrain = false;
  private bodyBytes = 0;
  /** The worker's file that the master sends (RESPONSE_FILE), from its opening to its last byte. */
  private fileSend: FileSend | null = null;

  private readonly writer: ResponseWriter;
  /** Sends the files workers hand over (the router's, which counts them). */
  private readonly offloads: FileOffloads;
  /** Called once, when the exchange is over: the router's request-done observers. */
  private readonly done: (exchange: Exchange) => void;

  constructor(request: ParsedRequest, writer: ResponseWriter, body: Readable | null, done: (exchange: Exchange) => void,
    offloads = new FileOffloads()) {
    this.environ = request.environ;
    this.info = request;
    this.body = body;
    this.bodyLength = body === null ? 0 : request.bodyLength;
    this.flags = (body !== null ? FLAG_HAS_BODY : 0) | (request.expectContinue && body !== null ? FLAG_EXPECT_CONTINUE : 0);
    this.writer = writer;
    this.done = done;
    this.offloads = offloads;
    writer.onClientGone(() => this.cancel());
  }

  /** Called by the worker once it sent the REQUEST frame. */
  attach(carrier: ExchangeCarrier, id: number): void {
    this.carrier = carrier;
    this.id = id;
    const body = this.body;
    if (body === null) return;
    if (body.destroyed) {
      // it broke off while the request waited for a worker: nothing of it will ever come
      this.onBodyError();
      return;
    }
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
      this.writer.sendContinue();
    }
    let buffered;
    try {
      buffered = await bufferBody(body, { memoryLimit, maxBytes: this.bodyLimit });
    } catch (err) {
      // a body that broke off is the listener's to log and close; a failure to store it is ours
      if (!(err instanceof BodyBrokenOff)) {
        logAnswer(ANSWERS.internalError, this.subject, (err as Error).message);
        this.refuse(ANSWERS.internalError);
      }
      return false;
    }
    if (buffered === TOO_LARGE) {
      this.refuseTooLarge();
      return false;
    }
    this.body = buffered;
    this.bodyBuffered = true;
    const refused = this.info.vetTrailers?.();
    if (refused !== undefined) {
      logRefusal(refused.answer, refused.rule, this.subject, refused.why);
      this.refuse(refused.answer, ['Connection', 'close']);
      return false;
    }
    if (this.cancelled) {
      this.releaseBody();
      return false;
    }
    return true;
  }

  /** `GET /path`: what the log lines about this request start with. */
  get subject(): string {
    return `${this.info.method} ${this.info.uri}`;
  }

  /**
   * Answers the client here, from the answer table, without a worker (413, 503...), and ends the
   * exchange. What the client still sends of its body is discarded.
   */
  refuse(answer: Answer, more: readonly string[] = []): void {
    if (this.finished) return;
    this.finished = true;
    this.status = answer.status;
    this.releaseBody();
    if (!this.cancelled) this.writer.answer(answer, more);
    this.done(this);
  }

  /** The body is larger than limit-post (as declared, or as received by post-buffering): 413. */
  refuseTooLarge(): void {
    logAnswer(ANSWERS.bodyTooLarge, this.subject, this.describeTooLarge());
    this.refuse(ANSWERS.bodyTooLarge);
  }

  private describeTooLarge(): string {
    const size = this.bodyLength > this.bodyLimit ? `of ${this.bodyLength} bytes` : `of more than ${this.bodyLimit} bytes`;
    return `request body ${size} exceeds limit-post (${this.bodyLimit})`;
  }

  /**
   * A body of unknown length (chunked) grew past limit-post while it went to the worker, or its
   * trailer broke a rule (`refusedBy`: the connection then closes): the request is cancelled there
   * (the app's next wsgi.input read raises OSError), and the client gets `answer` when nothing of
   * the response went out yet, else a response cut short.
   */
  private stopBody(answer: Answer, why: string, refusedBy?: Refusal): void {
    this.cancel();
    this.releaseBody();
    if (this.headWritten) {
      log(cutShortLine(answer, this.subject, why));
      this.writer.abort();
      return;
    }
    this.status = answer.status;
    if (refusedBy === undefined) {
      logAnswer(answer, this.subject, why);
      this.writer.answer(answer);
    } else {
      logRefusal(answer, refusedBy.rule, this.subject, why);
      this.writer.answer(answer, ['Connection', 'close']);
    }
  }

  // --- request body: client -> worker ---------------------------------------------------------

  private onBodyData(chunk: Buffer): void {
    if (this.finished || this.cancelled) return; // the app is done; the listener drains the rest
    this.bodyReceived += chunk.length;
    if (this.bodyLimit > 0 && this.bodyReceived > this.bodyLimit) {
      this.stopBody(ANSWERS.bodyTooLarge, this.describeTooLarge());
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
    const refused = this.info.vetTrailers?.();
    if (refused !== undefined) {
      this.stopBody(refused.answer, refused.why, refused);
      return;
    }
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
      this.writer.sendContinue();
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

  /** RESPONSE_FILE: the worker asks the master to send part of a file it holds open (one per response). */
  onFile(payload: Buffer): void {
    if (this.fileSend !== null) return this.carrier!.sendFileTaken(this.id, false);
    this.fileSend = this.offloads.prepare(this, this.carrier!, this.id);
    this.fileSend.start(payload);
  }

  /** The file is about to go out: what comes before it goes first. Null when nothing more can. */
  startFile(): ResponseWriter | null {
    if (this.cancelled || this.finished || this.headers === null) return null;
    const held = this.pendingChunk;
    this.pendingChunk = null;
    if (held !== null) this.writeChunk(held);
    return this.writeHeadOnce() ? this.writer : null;
  }

  fileDone(send: FileSend, sent: number, broken: boolean): void {
    if (send !== this.fileSend) return; // stopped: the response was broken off without it
    this.fileSend = null;
    this.bodyBytes += sent;
    // cut short (offload.ts aborted the response): what the worker still sends is discarded
    if (broken) this.cancelled = true;
    if (this.finished) this.endResponse();
  }

  /** RESPONSE_END: complete the response, once the file the worker handed over is sent. */
  onEnd(): void {
    this.finished = true;
    this.releaseBody();
    if (this.fileSend === null) this.endResponse();
  }

  private endResponse(): void {
    if (!this.cancelled && this.headers === null) {
      // never a default 200: a response without a head is the worker's fault
      this.breakResponse('the worker ended the response without sending its head', ANSWERS.badGateway);
    } else if (!this.cancelled && this.writeHeadOnce()) {
      const last = this.pendingChunk;
      this.pendingChunk = null;
      this.writer.end(last);
    }
    this.done(this);
  }

  /** RESPONSE_ABORT: the app failed after its head; the client must see a broken response. */
  onAbort(reason: string): void {
    this.finished = true;
    this.releaseBody();
    this.stopFile();
    if (!this.cancelled) this.breakResponse(reason, ANSWERS.internalError);
    this.done(this);
  }

  /** The worker died, or was killed (harakiri: 504): the client gets `answer` if nothing was sent yet. */
  onWorkerLost(reason = 'the worker died', answer: Answer = ANSWERS.badGateway): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseBody();
    this.stopFile();
    // a head held for the first chunk never reached the client: it gets the whole answer instead
    if (!this.headWritten) this.headers = null;
    if (!this.cancelled) this.breakResponse(reason, answer);
    this.done(this);
  }

  /** The client went away before the response was complete. */
  cancel(): void {
    if (!this.finished && !this.cancelled) {
      this.cancelled = true;
      this.pendingChunk = null;
      if (this.carrier !== null) this.carrier.sendCancel(this.id);
      else if (this.bodyBuffered) this.releaseBody(); // queued: nothing will read the buffered body
    }
    this.fileSend?.cancel(); // also after the worker's end: its file may still be going out
  }

  /** The response is broken off: a file being sent for it goes no further (its fileDone is ignored). */
  private stopFile(): void {
    const file = this.fileSend;
    this.fileSend = null;
    file?.cancel();
  }

  /** The response cannot be completed: `answer` when nothing of it was sent yet, else it is cut short. */
  private breakResponse(reason: string, answer: Answer): void {
    if (this.headers === null && !this.headWritten) {
      this.status = answer.status;
      logAnswer(answer, this.subject, reason);
      this.writer.answer(answer);
      return;
    }
    if (!this.writeHeadOnce()) return;
    const last = this.pendingChunk;
    this.pendingChunk = null;
    if (last !== null) this.writer.write(last);
    this.writer.abort();
  }

  /**
   * Sends the worker's head unless it went out already. False when the listener could not send it
   * (a header its protocol refuses): the client got a 502 instead, and the worker's request is
   * cancelled, so nothing more is written for it.
   */
  private writeHeadOnce(): boolean {
    if (this.headWritten || this.headers === null) return !this.headRefused;
    this.headWritten = true;
    const refused = this.writer.head(this.status, this.reason, this.headers);
    if (refused === undefined) return true;
    this.headRefused = true;
    this.status = ANSWERS.badGateway.status;
    logAnswer(ANSWERS.badGateway, this.subject, `the app's response head cannot be sent: ${refused}`);
    this.writer.answer(ANSWERS.badGateway);
    this.cancel();
    return false;
  }

  private writeChunk(chunk: Buffer): void {
    if (!this.writeHeadOnce()) return;
    if (this.writer.write(chunk)) {
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
      this.writer.onDrain(() => this.onDrain());
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

  /** What the request log line and the counters need, in the form the workers report their own requests. */
  describe(): ServedRequest {
    return servedRequest(this.info, this.status, this.headers, this.bodyBytes, this.startedMs, this.reason);
  }
}
