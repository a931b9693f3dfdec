// The stage between the listeners and the dispatcher. For each request it decides who answers: a
// static file (static/files.ts), the answer table when a limit refuses it (limit-post), or the app,
// after post-buffering when that is on. It is also the one place where finished requests are
// counted and their observers called, whichever listener or worker served them: the request log
// today. A file a worker hands over is sent by the master (offload.ts): its request is done once it
// is sent.
import type { Readable } from 'node:stream';
import { decodeServedRequest, type ServedRequest } from '../channel/records.ts';
import type { AnsweredElsewhere, OwnAnswer, ParsedRequest, RequestHandler, ResponseWriter } from '../listeners/request.ts';
import type { Dispatcher } from './dispatcher.ts';
import { Exchange } from './exchange.ts';
import { FileOffloads } from './offload.ts';
import { servedRequest } from './served-request.ts';
import { WorkCount } from './work-count.ts';
import type { StaticFiles, StaticOutcome } from './static/files.ts';

/** The options the router applies (named as in Config, which can be passed as is). */
export interface RoutingLimits {
  /** --limit-post: the largest request body in bytes; 0 for no limit. */
  limitPost: number;
  /** --post-buffering: 0 streams bodies to the worker; N receives them first, in memory up to N bytes. */
  postBuffering: number;
}

/** Who served a request, as the request log names it. */
export interface Server {
  /** The worker id (1..processes); 0 for the master, which sends the static files. */
  readonly slot: number;
  readonly pid: number;
  readonly requestsServed: number;
}

/** A finished request, as its observers see it. */
export interface FinishedRequest {
  /** The worker that served it; null when the master answered it alone. */
  server: Server | null;
  /** Requests finished so far, this one included. */
  total: number;
  /** What happened, decoded only for the observers that ask. Undefined for a record that cannot be read. */
  details(): ServedRequest | undefined;
}

export type RequestObserver = (request: FinishedRequest) => void;

export class Router implements RequestHandler {
  /** Requests finished since the master started. */
  total = 0;
  private readonly dispatcher: Dispatcher;
  private readonly limits: RoutingLimits;
  private readonly observers: RequestObserver[] = [];
  /**
   * Requests not on the dispatcher that are not done either: bodies being received
   * (post-buffering), static files being looked up or sent.
   */
  private readonly outside = new WorkCount();
  private files: StaticFiles | null = null;
  /** The master, as the request log names the server of the static files it sends. */
  private readonly master = { slot: 0, pid: process.pid, requestsServed: 0 };
  /** The files the master sends for workers (wsgi.file_wrapper bodies), after the workers went on. */
  private readonly offloads = new FileOffloads();

  constructor(dispatcher: Dispatcher, limits: RoutingLimits) {
    this.dispatcher = dispatcher;
    this.limits = limits;
  }

  /** `observer` hears of every finished request from now on. */
  observe(observer: RequestObserver): void {
    this.observers.push(observer);
  }

  /** Static files are served by `files` from now on (made with `staticDone` as its done callback). */
  serveFiles(files: StaticFiles): void {
    this.files = files;
  }

  handle(request: ParsedRequest, writer: ResponseWriter, body: Readable | null): void {
    if (this.files !== null) {
      this.outside.began();
      if (this.files.serve(request, writer, body, this.notStatic)) return;
      this.outside.ended();
    }
    this.toApp(request, writer, body);
  }

  /** A request the static files took, then found the app should have. */
  private readonly notStatic = (request: ParsedRequest, writer: ResponseWriter, body: Readable | null): void => {
    this.outside.ended();
    this.toApp(request, writer, body);
  };

  /** A request a static file answered (files.ts calls it when the response is over). */
  readonly staticDone = (request: ParsedRequest, startedMs: number, outcome: StaticOutcome): void => {
    this.outside.ended();
    this.master.requestsServed++;
    this.doneInMaster(this.master, request, startedMs, outcome);
  };

  /**
   * A request a handler in the router's place answered (the --http-to-https redirect): counted and
   * logged as the answers the router makes itself without a worker (limit-post's 413).
   */
  readonly answeredElsewhere: AnsweredElsewhere = (request, startedMs, answer) => {
    this.doneInMaster(null, request, startedMs, answer);
  };

  /** A request the master answered, `server` (static files) or not (its own answers). */
  private doneInMaster(server: Server | null, request: ParsedRequest, startedMs: number, outcome: OwnAnswer): void {
    this.total++;
    if (this.observers.length === 0) return;
    const finished: FinishedRequest = {
      server,
      total: this.total,
      details: () => servedRequest(request, outcome.status, outcome.headers, outcome.bodyBytes, startedMs),
    };
    for (const observe of this.observers) observe(finished);
  }

  private toApp(request: ParsedRequest, writer: ResponseWriter, body: Readable | null): void {
    const exchange = new Exchange(request, writer, body, this.finished, this.offloads);
    const { limitPost, postBuffering } = this.limits;
    if (limitPost > 0) {
      exchange.bodyLimit = limitPost;
      if (exchange.bodyLength > limitPost) {
        exchange.refuseTooLarge();
        return;
      }
    }
    if (postBuffering > 0 && exchange.bodyLength !== 0) {
      this.outside.began();
      void exchange.bufferBody(postBuffering).then((ready) => {
        if (ready) this.dispatcher.dispatch(exchange);
        this.outside.ended();
      });
      return;
    }
    this.dispatcher.dispatch(exchange);
  }

  /** A request a worker served by itself, on a socket it accepted on: `record` is REQUEST_DONE's payload. */
  served(server: Server, record: ServedRequest | Buffer): void {
    this.total++;
    if (this.observers.length === 0) return;
    let decoded: ServedRequest | undefined;
    const request: FinishedRequest = {
      server,
      total: this.total,
      details: () => (decoded ??= Buffer.isBuffer(record) ? decodeServedRequest(record) : record),
    };
    for (const observe of this.observers) observe(request);
  }

  /** Files being sent for workers that have ended their responses (not in flight on them any more). */
  get sendingFiles(): number {
    return this.offloads.sending.count;
  }

  /** Resolves once nothing is being buffered, sent from a static file, queued, in flight or sent from a worker's file. */
  async whenIdle(): Promise<void> {
    for (;;) {
      await this.dispatcher.whenIdle();
      if (this.outside.count > 0) await this.outside.whenNone();
      else if (this.offloads.sending.count > 0) await this.offloads.sending.whenNone();
      else return;
    }
  }

  private readonly finished = (exchange: Exchange): void => {
    this.total++;
    if (this.observers.length === 0) return;
    const request: FinishedRequest = { server: exchange.carrier, total: this.total, details: () => exchange.describe() };
    for (const observe of this.observers) observe(request);
  };
}
