// The HTTP/2 front: the TLS connections whose client chose h2 by ALPN, and on a plain listener
// with http2-cleartext those that began with HTTP/2's preface (h2c with prior knowledge). One
// plain node:http2 server is fed the sockets the listener already accepted (and, over TLS,
// secured), and each stream, through its core API, is handed to the router with a writer
// (h2-writer.ts) as an HTTP/1.1 request is. h2-request.ts maps the header block; h2-connection.ts
// holds the limits node:http2 does not enforce itself, the same on either kind of connection.
import http2, { type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { ANSWERS, logRefusal } from './answers.ts';
import { H2Connection, type H2Limits } from './h2-connection.ts';
import { buildH2Request } from './h2-request.ts';
import { H2ResponseWriter } from './h2-writer.ts';
import { isRefusal, type HttpListenerContext } from './http-request.ts';
import type { RequestHandler } from './request.ts';

export interface H2Options extends H2Limits {
  /** buffer-size: the largest head accepted, counted as its HTTP/1.1 form would be. */
  maxHeadSize: number;
  /** add-header: a flat [name, value, ...] list added to every response of the app or a static file. */
  addHeaders: readonly string[];
}

/** The pseudo-header fields a request may carry beside its fields (:method, :scheme, :authority, :path, :protocol). */
const PSEUDO_HEADERS = 5;

export class H2Front {
  private readonly server: Http2Server;
  private readonly handler: RequestHandler;
  private readonly context: HttpListenerContext;
  private readonly options: H2Options;
  private readonly connections = new Map<ServerHttp2Session, H2Connection>();
  private closed: (() => void) | null = null;
  /** The socket being handed to node:http2, whose 'session' event comes while it is. */
  private accepting: Socket | null = null;
  /** The CGI variables of the connection being accepted (over TLS: HTTPS=on, a client certificate's). */
  private acceptingVars: string | undefined;
  /** Whether the connection being accepted had its client certificate refused. */
  private acceptingRefused = false;
  /** The connections whose client certificate was refused: a stream gets a 400, the connection GOAWAY. */
  private readonly refused = new WeakSet<H2Connection>();

  constructor(handler: RequestHandler, context: HttpListenerContext, options: H2Options) {
    this.handler = handler;
    this.context = context;
    this.options = options;
    this.server = http2.createServer({
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams,
        // A head within buffer-size as HTTP/1.1 counts it can be larger as HTTP/2 counts it (32 more
        // bytes a field, RFC 9113 §6.5.2): nghttp2 is told the largest such list, and resets the
        // streams beyond it; the rest is measured as HTTP/1.1 would (onStream).
        maxHeaderListSize: options.maxHeadSize + 32 * (options.maxHeaders + PSEUDO_HEADERS),
        enablePush: false,
      },
      // one more field than http-max-headers reaches the vetting, which answers 431 and logs it
      maxHeaderListPairs: options.maxHeaders + PSEUDO_HEADERS + 1,
    });
    this.server.on('session', (session: ServerHttp2Session) => this.onSession(session));
    this.server.on('stream', (stream: ServerHttp2Stream, _headers: unknown, _flags: number, rawHeaders: string[]) =>
      this.onStream(stream, rawHeaders));
    // a session's error (a reset connection, a protocol error) ends it; H2Connection logs what matters
    this.server.on('sessionError', ignore);
  }

  /**
   * Serves a connection that speaks HTTP/2: a TLS one whose ALPN said h2, with `vars` (the CGI
   * variables its requests get) and whether its client certificate was `refused`; or a plain one
   * that began with the preface (with no vars: the listener's context says its scheme is http).
   */
  accept(socket: Socket, vars?: string, refused = false): void {
    if (this.closed !== null) {
      socket.destroy();
      return;
    }
    this.accepting = socket;
    this.acceptingVars = vars;
    this.acceptingRefused = refused;
    try {
      this.server.emit('connection', socket);
    } finally {
      this.accepting = null;
      this.acceptingVars = undefined;
    }
  }

  /** Every connection gets GOAWAY: no new streams, those open finish. Resolves once all have closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.closed = resolve;
      for (const connection of this.connections.values()) connection.goAway();
      if (this.connections.size === 0) resolve();
    });
  }

  /** Drops every connection (after the mercy timeout). */
  closeAll(): void {
    for (const connection of this.connections.values()) connection.destroy();
  }

  private onSession(session: ServerHttp2Session): void {
    const socket = this.accepting;
    // node:http2 makes the session inside emit('connection'), so accept() is always on the stack
    if (socket === null) {
      session.destroy();
      return;
    }
    const connection = new H2Connection(session, socket, this.options, this.acceptingVars);
    this.connections.set(session, connection);
    if (this.acceptingRefused) this.refused.add(connection);
    session.once('close', () => {
      this.connections.delete(session);
      if (this.closed !== null && this.connections.size === 0) this.closed();
    });
  }

  private onStream(stream: ServerHttp2Stream, rawHeaders: string[]): void {
    // a stream's errors (a reset, the connection lost) end it, which its 'close' tells
    stream.on('error', ignore);
    const connection = this.connections.get(stream.session as ServerHttp2Session);
    if (connection === undefined) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const writer = new H2ResponseWriter(stream, this.options.addHeaders);
    connection.watch(stream, writer, rawHeaders);
    if (this.refused.has(connection)) {
      // its client certificate was refused (logged by the TLS front): a 400, then no more streams
      writer.answer(ANSWERS.badRequest);
      connection.goAway();
      return;
    }
    const size = http1HeadSize(rawHeaders);
    if (size > this.options.maxHeadSize) {
      logRefusal(ANSWERS.headTooLarge, 'head size', connection.subject(rawHeaders),
        `a head of ${size} bytes as HTTP/1.1 would carry it, larger than buffer-size (${this.options.maxHeadSize} bytes)`);
      writer.answer(ANSWERS.headTooLarge);
      return;
    }
    let trailers: readonly string[] = [];
    if (!stream.endAfterHeaders) stream.once('trailers', (_h: unknown, _f: number, raw: string[]) => { trailers = raw; });
    const built = buildH2Request({
      rawHeaders,
      endStream: stream.endAfterHeaders,
      peerAddress: connection.peerAddress,
      peerPort: connection.peerPort,
      connectionVars: connection.vars,
      trailers: () => trailers,
    }, this.context);
    if (isRefusal(built)) {
      logRefusal(built.answer, built.rule, connection.subject(rawHeaders), built.why);
      writer.answer(built.answer);
      return;
    }
    this.handler.handle(built, writer, built.bodyLength !== 0 ? stream : null);
  }
}

function ignore(): void {}

/** The head's size as its HTTP/1.1 form would have it: request line, `name: value` lines, blank line. */
function http1HeadSize(raw: readonly string[]): number {
  let size = 2;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // the request line, `METHOD PATH HTTP/1.1`, and a Host line stand for the pseudo-header fields
    if (name === ':method' || name === ':path') size += raw[i + 1].length + 1;
    else if (name === ':authority') size += raw[i + 1].length + 10;
    else if (name.charCodeAt(0) === 58 /* ':' */) continue;
    else size += name.length + raw[i + 1].length + 4;
  }
  return size + 10;
}

