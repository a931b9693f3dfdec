// What a listener hands on, and what it offers back: a parsed request, the writer its response
// goes out through, and the handler (the router) it gives both to. A listener knows its wire
// protocol and nothing of workers; the router knows workers and nothing of wire protocols.
import type { Readable } from 'node:stream';
import type { Answer } from './answers.ts';

/** A request refused before anything else sees it: the answer, the rule it broke and why (for the log line). */
export interface Refusal {
  answer: Answer;
  /** A short name of the rule, which also keys the rate-limiting of its log line. */
  rule: string;
  why: string;
}

/** A request as the listener parsed it, and the environ block the workers read (docs/channel.md). */
export interface ParsedRequest {
  method: string;
  /** The request target as sent (REQUEST_URI). */
  uri: string;
  /** The percent-decoded path (PATH_INFO), as a latin-1 string of bytes. */
  path: string;
  query: string;
  protocol: string;
  /** The request headers by CGI name (`HTTP_USER_AGENT`, `CONTENT_TYPE`), repeated ones joined. */
  headers: ReadonlyMap<string, string>;
  /** `http` or `https`: the listener's, or a trusted proxy's X-Forwarded-Proto. */
  scheme: string;
  /** The client: the peer, or a trusted proxy's X-Forwarded-For. */
  remoteAddr: string;
  /** X-Forwarded-For as sent, when the peer is a trusted proxy (for log-x-forwarded-for). */
  forwardedFor?: string;
  /** The body's declared length: 0 without a body, -1 when unknown (chunked). */
  bodyLength: number;
  /** The client waits for 100 Continue before it sends its body. */
  expectContinue: boolean;
  /** The CGI variables as NUL-separated latin-1 pairs, for the REQUEST frame. */
  environ: string;
  /**
   * For a chunked body: whether its trailer breaks a rule, asked once the body has ended (the
   * trailer is never part of the environ). Null for other requests.
   */
  vetTrailers: (() => Refusal | undefined) | null;
}

/**
 * How a response goes out on one listener's connection. Whatever makes the response (a worker, a
 * file, the answer table) writes through it; it alone knows the wire.
 */
export interface ResponseWriter {
  /**
   * Starts the response: status, reason and a flat [name, value, ...] list. Returns why, when the
   * listener cannot send this head (a header its protocol refuses): then nothing was sent.
   */
  head(status: number, reason: string, headers: string[]): string | undefined;
  /**
   * Body bytes; false when the client is slow (onDrain tells when to go on). `written` is called
   * once the writer holds on to `chunk` no longer (so its memory may be reused); possibly never,
   * when the connection is lost first.
   */
  write(chunk: Buffer, written?: () => void): boolean;
  onDrain(callback: () => void): void;
  /** Completes the response, with a last chunk if there is one. */
  end(last: Buffer | null): void;
  /** Ends the connection so that the client sees the response cut short, never a complete one. */
  abort(): void;
  /** A whole answer from the table, with `more` headers; when a head already went out, the connection is cut instead. */
  answer(answer: Answer, more?: readonly string[]): void;
  /** Tells the client to go on sending its body (HTTP 100 Continue). */
  sendContinue(): void;
  /** `callback` runs if the client goes away before the response is complete. */
  onClientGone(callback: () => void): void;
}

/** Where a listener sends each request it parsed (the router). */
export interface RequestHandler {
  handle(request: ParsedRequest, writer: ResponseWriter, body: Readable | null): void;
}

/** An answer the server made itself, without a worker, as the request log and the counters see it. */
export interface OwnAnswer {
  status: number;
  /** The head sent, as a flat [name, value, ...] list. */
  headers: readonly string[];
  /** The body bytes sent (none for a HEAD). */
  bodyBytes: number;
}

/**
 * Told of each request a handler other than the router answered (the https redirect), once its
 * answer is out, so that it is counted and logged as the router's own answers are.
 */
export type AnsweredElsewhere = (request: ParsedRequest, startedMs: number, answer: OwnAnswer) => void;
