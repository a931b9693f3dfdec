// A response on one HTTP/2 stream, through node:http2's core API. The counterpart of
// HttpResponseWriter (http.ts): write() says false while the stream's buffer is full, which the
// exchange turns into response credit withheld from the worker, so a client that does not open
// its window stops the app, not the master's memory.
import http2, { type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { answerHeaders, type Answer } from './answers.ts';
import type { ResponseWriter } from './request.ts';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;
const EMPTY = Buffer.alloc(0);

/** Fields HTTP/2 forbids in a response (RFC 9113 §8.2.2): dropped from the app's head, as nginx does. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export class H2ResponseWriter implements ResponseWriter {
  private readonly stream: ServerHttp2Stream;
  /** add-header: a flat [name, value, ...] list added to every response of the app or a static file. */
  private readonly addHeaders: readonly string[];
  /** The head went out with the end of the stream (HEAD, 204, 304): the body is dropped. */
  private bodyless = false;
  /** A write waits for the stream's buffer to drain (the client's window is closed). */
  private waitingDrain = false;
  /** The stream was reset by this side (abort, a timeout), not by the client. */
  resetByServer = false;
  /** The response was ended (end(), answer()); the stream may still be reset before it is all out. */
  private ended = false;

  constructor(stream: ServerHttp2Stream, addHeaders: readonly string[]) {
    this.stream = stream;
    this.addHeaders = addHeaders;
  }

  head(status: number, reason: string, headers: string[]): string | undefined {
    void reason; // HTTP/2 has no reason phrase
    const fields = h2Fields(status, headers, this.addHeaders);
    try {
      this.stream.respond(fields);
    } catch (err) {
      // node refused a header the worker let through: nothing was sent, and the caller answers instead
      return (err as Error).message;
    }
    this.bodyless = this.stream.writableEnded;
    return undefined;
  }

  write(chunk: Buffer, written?: () => void): boolean {
    const stream = this.stream;
    if (this.bodyless || stream.destroyed) {
      if (written !== undefined) process.nextTick(written);
      return true;
    }
    const more = written === undefined ? stream.write(chunk) : stream.write(chunk, () => written());
    if (!more && !this.waitingDrain) {
      this.waitingDrain = true;
      stream.once('drain', () => { this.waitingDrain = false; });
    }
    return more;
  }

  onDrain(callback: () => void): void {
    this.stream.once('drain', callback);
  }

  end(last: Buffer | null): void {
    const stream = this.stream;
    if (stream.destroyed) return;
    this.ended = true;
    if (last === null || this.bodyless) stream.end();
    else stream.end(last);
    this.stopBodyAfterResponse();
  }

  abort(): void {
    this.reset(NGHTTP2_INTERNAL_ERROR);
  }

  /** Resets the stream (RST_STREAM with `code`): the client sees the response cut short, never a complete one. */
  reset(code: number): void {
    const stream = this.stream;
    if (stream.destroyed) return;
    this.resetByServer = true;
    // node ends the writable side before it resets a stream, and when nothing is being written the
    // END_STREAM would go out first, as the end of a complete response: an empty write in flight
    // holds the end back until after the RST_STREAM
    if (stream.headersSent && !stream.writableEnded) stream.write(EMPTY);
    stream.close(code);
  }

  /**
   * Whether the stream waits on its client: for body bytes it does not send while the body is
   * read, or for window to send the response. Not while the app works, nor while the body waits
   * for a worker or for the app to read on.
   */
  waitsOnClient(): boolean {
    const stream = this.stream;
    return this.waitingDrain || (!stream.endAfterHeaders && !stream.readableEnded && stream.readableFlowing === true);
  }

  answer(answer: Answer, more: readonly string[] = []): void {
    const stream = this.stream;
    if (stream.destroyed) return;
    if (stream.headersSent) {
      this.reset(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    stream.respond(h2Fields(answer.status, answerHeaders(answer, more), []));
    this.ended = true;
    stream.end(answer.body);
    this.stopBodyAfterResponse();
  }

  sendContinue(): void {
    const stream = this.stream;
    if (stream.headersSent || stream.destroyed) return;
    stream.additionalHeaders({ ':status': 100 });
  }

  onClientGone(callback: () => void): void {
    const stream = this.stream;
    // a reset ends the stream's writable side too, so writableFinished cannot tell it
    stream.once('close', () => {
      if (!this.ended || stream.rstCode !== NGHTTP2_NO_ERROR) callback();
    });
  }

  /**
   * A response complete before its request body: once it is out, the stream is reset with
   * NO_ERROR, which tells the client to stop sending (RFC 9113 §8.1) instead of filling a window
   * nobody reads.
   */
  private stopBodyAfterResponse(): void {
    const stream = this.stream;
    if (!stream.endAfterHeaders && !stream.readableEnded) stream.close(NGHTTP2_NO_ERROR);
  }
}

/** A head as node:http2 takes it: names in lower case, a repeated name as a list, the connection-specific ones left out. */
function h2Fields(status: number, headers: readonly string[], extra: readonly string[]): OutgoingHttpHeaders {
  const fields: OutgoingHttpHeaders = { ':status': status };
  add(fields, headers);
  if (extra.length > 0) add(fields, extra);
  return fields;
}

function add(fields: OutgoingHttpHeaders, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i].toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    const seen = fields[name];
    if (seen === undefined) fields[name] = headers[i + 1];
    else if (Array.isArray(seen)) seen.push(headers[i + 1]);
    else fields[name] = [String(seen), headers[i + 1]];
  }
}
