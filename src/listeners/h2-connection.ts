// One HTTP/2 connection's guard: the limits node:http2 does not enforce itself, and a log line for
// each one hit, its own or nghttp2's. nghttp2 refuses streams past SETTINGS_MAX_CONCURRENT_STREAMS
// and header lists past SETTINGS_MAX_HEADER_LIST_SIZE (or with too many fields), and ends a session
// on a flood of CONTINUATION or invalid frames; node never shows JavaScript the refused streams, so
// they are counted here from the gaps in the client's stream ids: at its next stream, or when the
// connection ends, from the last stream the session processed. Added here: the settings
// timeout, the idle timeout, a timeout per stream that waits on its client, and a cap on the
// streams a client resets per second (CVE-2023-44487, rapid reset). docs/compat.md ("HTTP/2").
import http2, { type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { RateLimitedLog } from '../observe/rate-limited-log.ts';
import type { H2ResponseWriter } from './h2-writer.ts';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR, NGHTTP2_SETTINGS_TIMEOUT } = http2.constants;

/** The limits of a connection, from the http2-* options. */
export interface H2Limits {
  /** http2-max-concurrent-streams. */
  maxConcurrentStreams: number;
  /** http-max-headers. */
  maxHeaders: number;
  /** http2-idle-timeout: a connection without an open stream this long is closed. */
  idleTimeoutMs: number;
  /** http2-settings-timeout: the client's preface and its SETTINGS acknowledgement must come within it. */
  settingsTimeoutMs: number;
  /** http2-stream-timeout: a stream waiting on its client (body or window) this long is reset. */
  streamTimeoutMs: number;
  /** http2-max-resets: streams the client may reset in one second. */
  maxResetsPerSecond: number;
}

const RESET_WINDOW_MS = 1000;
/** How long a connection ended for breaking a limit may take to close before it is destroyed. */
const SHUTDOWN_LINGER_MS = 1000;

const lines = new RateLimitedLog();

function logLine(kind: string, line: string): void {
  lines.line(kind, line, (n) => `${n} more HTTP/2 connections or streams in the last second (${kind})`);
}

export class H2Connection {
  readonly peerAddress: string | undefined;
  readonly peerPort: number | undefined;
  /** `ADDRESS:PORT`, for the log lines. */
  readonly peer: string;
  /** The CGI variables of a TLS connection, added to each request's environ (NUL-led pairs); none on a plain one. */
  readonly vars: string | undefined;
  private readonly session: ServerHttp2Session;
  /** The connection itself, TLS or plain (session.socket only lets a few of its methods through). */
  private readonly socket: Socket;
  private readonly limits: H2Limits;
  private open = 0;
  private settingsTimer: NodeJS.Timeout | null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** The id the client's next stream should have; a higher one means nghttp2 refused those between. */
  private nextStreamId = 1;
  /** The open streams reached the limit since the last stream counted: a gap is streams refused for it. */
  private reachedConcurrencyLimit = false;
  private resets = 0;
  private resetWindowStart = 0;
  /** The connection broke a limit and is being closed. */
  private shuttingDown = false;

  constructor(session: ServerHttp2Session, socket: Socket, limits: H2Limits, vars: string | undefined) {
    this.session = session;
    this.vars = vars;
    this.socket = socket;
    this.limits = limits;
    this.peerAddress = socket.remoteAddress;
    this.peerPort = socket.remotePort;
    this.peer = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    this.settingsTimer = setTimeout(() => this.onSettingsTimeout(), limits.settingsTimeoutMs).unref();
    session.once('localSettings', () => this.settled());
    session.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    // The client leaving, however it leaves (its GOAWAY, the end of its connection, a reset): the
    // streams refused since its last one are counted then, before node's own listeners of these
    // destroy the session, after which it no longer tells the last stream it began.
    session.once('goaway', this.countRefusedSoFar);
    for (const event of ['end', 'error', 'close']) socket.prependOnceListener(event, this.countRefusedSoFar);
    session.once('close', () => this.stopTimers());
    this.armIdle();
  }

  /** Follows a stream the client opened: its end, its timeout, whether the client reset it. */
  watch(stream: ServerHttp2Stream, writer: H2ResponseWriter, rawHeaders: readonly string[]): void {
    const id = stream.id ?? 0;
    this.countRefused(id - 2);
    this.nextStreamId = id + 2;
    if (++this.open === 1 && this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.open >= this.limits.maxConcurrentStreams) {
      this.reachedConcurrencyLimit = true;
      logLine('concurrent streams', `HTTP/2 connection from ${this.peer}: ${this.open} streams open, http2-max-concurrent-streams: ` +
        'the client must wait for one to end; raise it with --http2-max-concurrent-streams');
    }
    const onTimeout = () => {
      if (!writer.waitsOnClient()) {
        // the app is working, or the body waits for the worker: not the client's doing
        stream.setTimeout(this.limits.streamTimeoutMs, onTimeout);
        return;
      }
      logLine('stream timeout', `${this.subject(rawHeaders)}: the client sent nothing of its body, or took nothing of the response, ` +
        `for ${this.limits.streamTimeoutMs / 1000} s: stream reset; raise it with --http2-stream-timeout`);
      writer.reset(NGHTTP2_CANCEL);
    };
    stream.setTimeout(this.limits.streamTimeoutMs, onTimeout);
    stream.once('close', () => {
      if (stream.rstCode !== NGHTTP2_NO_ERROR && stream.rstCode !== undefined && !writer.resetByServer) this.countReset();
      if (--this.open === 0) this.armIdle();
    });
  }

  /** `GET /path from ADDRESS:PORT`, for the log lines about one stream. */
  subject(rawHeaders: readonly string[]): string {
    let method = '';
    let path = '';
    for (let i = 0; i < rawHeaders.length && rawHeaders[i].charCodeAt(0) === 58 /* ':' */; i += 2) {
      if (rawHeaders[i] === ':method') method = rawHeaders[i + 1];
      else if (rawHeaders[i] === ':path') path = rawHeaders[i + 1];
    }
    return `${method} ${path} from ${this.peer}`;
  }

  /** No new streams; those open finish, then the connection closes. */
  goAway(): void {
    this.countRefusedSoFar();
    if (!this.session.closed) this.session.close();
  }

  destroy(): void {
    this.session.destroy();
  }

  private settled(): void {
    if (this.settingsTimer === null) return;
    clearTimeout(this.settingsTimer);
    this.settingsTimer = null;
  }

  private onSettingsTimeout(): void {
    this.settingsTimer = null;
    logLine('settings timeout', `HTTP/2 connection from ${this.peer}: no preface or SETTINGS acknowledgement within ` +
      `${this.limits.settingsTimeoutMs / 1000} s: closed; raise it with --http2-settings-timeout`);
    this.shutDown(NGHTTP2_SETTINGS_TIMEOUT);
  }

  private armIdle(): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      logLine('idle timeout', `HTTP/2 connection from ${this.peer}: no open stream for ${this.limits.idleTimeoutMs / 1000} s: ` +
        'closed (GOAWAY); raise it with --http2-idle-timeout');
      this.goAway();
    }, this.limits.idleTimeoutMs).unref();
  }

  private stopTimers(): void {
    if (this.settingsTimer !== null) clearTimeout(this.settingsTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.settingsTimer = this.idleTimer = null;
  }

  /** A stream reset by the client: past the limit in a second, the connection is closed (GOAWAY ENHANCE_YOUR_CALM). */
  private countReset(): void {
    const now = Date.now();
    if (now - this.resetWindowStart >= RESET_WINDOW_MS) {
      this.resetWindowStart = now;
      this.resets = 0;
    }
    if (++this.resets <= this.limits.maxResetsPerSecond || this.shuttingDown) return;
    logLine('rapid reset', `HTTP/2 connection from ${this.peer}: more than ${this.limits.maxResetsPerSecond} streams reset ` +
      'by the client in a second (rapid reset, CVE-2023-44487): closed (GOAWAY); raise it with --http2-max-resets');
    this.shutDown(NGHTTP2_ENHANCE_YOUR_CALM);
  }

  /**
   * Ends a connection that broke a limit: GOAWAY with `code`, then the connection is ended
   * after it (destroying it at once would reset the TCP connection over the client's unread
   * flood, and the client would never read the GOAWAY), and destroyed if it lingers.
   */
  private shutDown(code: number): void {
    if (this.shuttingDown || this.session.destroyed) return;
    this.shuttingDown = true;
    this.countRefusedSoFar();
    this.session.goaway(code);
    // node writes the GOAWAY out in its own immediate, queued before this one
    setImmediate(() => this.socket.end());
    setTimeout(() => this.session.destroy(), SHUTDOWN_LINGER_MS).unref();
  }

  /** Counts the streams refused since the client's last one, as far as the session tells (lastStreamId). */
  private readonly countRefusedSoFar = (): void => {
    this.countRefused(this.lastStreamId());
  };

  /** The streams nghttp2 refused before `upTo` (a stream id the client used), which node never shows. */
  private countRefused(upTo: number): void {
    if (upTo < this.nextStreamId) return;
    const refused = ((upTo - this.nextStreamId) >> 1) + 1;
    this.nextStreamId = upTo + 2;
    const s = refused === 1 ? '' : 's';
    if (this.reachedConcurrencyLimit) {
      logLine('refused streams', `HTTP/2 connection from ${this.peer}: ${refused} stream${s} refused (RST_STREAM): more than ` +
        `http2-max-concurrent-streams (${this.limits.maxConcurrentStreams}) open at once; raise it with --http2-max-concurrent-streams`);
    } else {
      logLine('refused header lists', `HTTP/2 connection from ${this.peer}: ${refused} stream${s} refused (RST_STREAM): a header list ` +
        `over buffer-size or with more than http-max-headers (${this.limits.maxHeaders}) fields, or malformed`);
    }
    this.reachedConcurrencyLimit = false;
  }

  /**
   * The highest stream id nghttp2 processed: a stream reset for its header list is one, a stream
   * refused past the concurrent streams is not (nghttp2 refuses it first), so those show only in
   * the id of the client's next stream. 0 once the session is gone.
   */
  private lastStreamId(): number {
    return this.session.destroyed ? 0 : this.session.state.lastProcStreamID ?? 0;
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
    logLine('connection error', `HTTP/2 connection from ${this.peer}: ${err.message}: closed`);
  }
}
