// The HTTP/1.1 front (`--http`, `--http-socket`, `--socket` with `--protocol=http`, and over TLS
// `--https`, `--https-socket`), on node:http: keep-alive, pipelining, chunked bodies both ways,
// Expect: 100-continue, HEAD and HTTP/1.0 are node's. This file hands each request to the router
// (http-request.ts builds it) with the writer its response goes out through, and answers what
// node's parser refuses. An HTTPS listener is the same with a TLS piece (tls.ts) in front: the
// TLS server accepts, and hands each secure connection to this node:http server. With
// http2-cleartext a plain listener also serves HTTP/2 with prior knowledge (h2c): a connection
// that begins with HTTP/2's preface goes to the HTTP/2 front (h2.ts) instead of node:http.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import type { TLSSocket } from 'node:tls';
import type { AddressList } from '../config/address-list.ts';
import { log } from '../observe/log.ts';
import type { SocketAddress } from './address.ts';
import { ANSWERS, answerHeaders, logRefusal, rawAnswer, type Answer } from './answers.ts';
import { bindServer, type BindOptions, type BoundSocket, type Listener } from './bind.ts';
import { FirstBytes, interceptConnections } from './first-bytes.ts';
import { buildHttpRequest, isRefusal, type HttpListenerContext } from './http-request.ts';
import type { ParsedRequest, RequestHandler, ResponseWriter } from './request.ts';
import type { H2Front, H2Options } from './h2.ts';
import type { Certificates, TlsFront, TlsSettings } from './tls.ts';

/** While draining, how often connections that went idle are closed. */
const IDLE_SWEEP_MS = 100;
/**
 * An error response sent before the request body arrived keeps the connection open when at most
 * this much of the body is still to come (node reads and discards it); past that, or when the
 * length is unknown, reading it all would cost more than a new connection, so the connection closes.
 */
const DISCARDABLE_BODY = 64 * 1024;
/**
 * node's requestTimeout (the whole request, head and body) is kept at its default, but never below
 * the head's timeout: node refuses a headersTimeout above it.
 */
const NODE_REQUEST_TIMEOUT_MS = 300_000;
/** node's own interval between checks of its connections' timeouts, the most it is ever given. */
const NODE_CHECKING_INTERVAL_MS = 30_000;
/** What a client speaking HTTP/2 with prior knowledge sends first (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface HttpListenerOptions {
  /** Largest request head accepted (buffer-size). */
  maxHeadSize: number;
  /** The most header fields a request may have (http-max-headers). */
  maxHeaders: number;
  keepAliveTimeoutMs: number;
  /** http-timeout: the time a client gets to send a complete request head (408 after it). */
  headTimeoutMs: number;
  /** trusted-proxy: peers whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustedProxies: AddressList;
  /** add-header: a flat [name, value, ...] list added to every response of the app or a static file. */
  addHeaders: readonly string[];
  /** http2-cleartext, on a plain listener: HTTP/2's settings for the connections that begin with its preface. */
  cleartextH2?: H2Options;
}

/** What makes an HTTP listener an HTTPS one: its TLS settings and the certificates loaded for them. */
export interface HttpsPiece {
  settings: TlsSettings;
  certificates: Certificates;
  /** HTTP/2's settings, when h2 is offered by ALPN (--http2, on by default). */
  h2: H2Options | undefined;
}

/** A response on one node:http exchange. */
class HttpResponseWriter implements ResponseWriter {
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly listener: HttpListener;
  private readonly request: ParsedRequest;
  private continueSent = false;

  constructor(req: IncomingMessage, res: ServerResponse, request: ParsedRequest, listener: HttpListener) {
    this.req = req;
    this.res = res;
    this.request = request;
    this.listener = listener;
  }

  head(status: number, reason: string, headers: string[]): string | undefined {
    const extra = this.listener.addHeaders;
    for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
    if (this.listener.closesEveryConnection) headers.push('Connection', 'close');
    try {
      this.res.writeHead(status, reason, headers);
    } catch (err) {
      // node refused a header the worker let through: nothing was sent, and the caller answers instead
      return (err as Error).message;
    }
    if (closesConnection(headers)) this.listener.lastResponseOn(this.req.socket);
    return undefined;
  }

  write(chunk: Buffer, written?: () => void): boolean {
    // node calls back once the socket wrote the chunk (or failed to), and holds it until then
    return written === undefined ? this.res.write(chunk) : this.res.write(chunk, () => written());
  }

  onDrain(callback: () => void): void {
    this.res.once('drain', callback);
  }

  end(last: Buffer | null): void {
    if (last === null) this.res.end();
    else this.res.end(last);
  }

  abort(): void {
    // what was written still reaches the client, then the connection closes: the client sees a
    // response cut short (no final chunk, or fewer bytes than its Content-Length), never a complete one
    this.res.socket?.destroySoon();
  }

  answer(answer: Answer, more: readonly string[] = []): void {
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const head = answerHeaders(answer, more);
    if (this.tooMuchBodyToCome() || this.listener.closesEveryConnection) head.push('Connection', 'close');
    if (closesConnection(head)) this.listener.lastResponseOn(this.req.socket);
    res.writeHead(answer.status, answer.reason, head);
    res.end(answer.body);
  }

  /** Whether too much of the request body (or an unknown amount) is still to come to discard it. */
  private tooMuchBodyToCome(): boolean {
    const { bodyLength, expectContinue } = this.request;
    if (bodyLength === 0 || this.req.complete) return false;
    // a client waiting for 100 Continue sends no body after a final status, so it cannot be read to its end
    if (expectContinue && !this.continueSent) return true;
    return bodyLength === -1 || bodyLength > DISCARDABLE_BODY;
  }

  sendContinue(): void {
    const res = this.res;
    // once the final response has begun, an interim one can no longer come before it
    if (res.headersSent) return;
    if (res.socket === null) {
      // pipelined: the connection is still answering the request before this one, and node would
      // put the 100 behind this response's head; it waits for its turn
      res.once('socket', () => this.sendContinue());
      return;
    }
    this.continueSent = true;
    res.writeContinue();
  }

  onClientGone(callback: () => void): void {
    const res = this.res;
    res.on('close', () => {
      if (!res.writableFinished) callback();
    });
    if (res.socket !== null) return;
    // A request pipelined behind another: node gives its response the connection only once the one
    // before it is done, and a connection that closes meanwhile never closes this response.
    const socket = this.req.socket;
    const gone = () => callback();
    socket.once('close', gone);
    res.once('socket', () => socket.off('close', gone));
  }
}

export class HttpListener implements Listener {
  readonly address: SocketAddress;
  draining = false;
  private readonly server: http.Server;
  private readonly handler: RequestHandler;
  private readonly options: HttpListenerOptions;
  private readonly context: HttpListenerContext;
  private readonly https: HttpsPiece | undefined;
  /** The TLS server in front, on an HTTPS listener (made by listen()). */
  private tls: TlsFront | undefined;
  /** The HTTP/2 front, on an HTTPS listener that offers h2 or a plain one with http2-cleartext. */
  private h2: H2Front | undefined;
  /** With http2-cleartext, the plain connections whose first bytes do not yet say whether they speak HTTP/2. */
  private firstBytes: FirstBytes | undefined;
  /**
   * Connections whose response being written closes them: requests the client pipelined behind it
   * were parsed by node, but must never reach the app (their answer could not be sent anyway).
   */
  private readonly closing = new WeakSet<Socket>();

  constructor(address: SocketAddress, handler: RequestHandler, options: HttpListenerOptions, https?: HttpsPiece) {
    this.address = address;
    this.handler = handler;
    this.options = options;
    this.https = https;
    this.context = {
      serverName: os.hostname(),
      serverPort: https === undefined ? '80' : '443',
      scheme: https === undefined ? 'http' : 'https',
      trustedProxies: options.trustedProxies,
      unix: address.kind !== 'tcp',
      maxHeaders: options.maxHeaders,
    };
    this.server = http.createServer({
      maxHeaderSize: options.maxHeadSize,
      highWaterMark: 64 * 1024,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      // from the first byte of a request (of the connection, for its first) to the end of its head;
      // node looks at its connections' timers only every connectionsCheckingInterval, so a client
      // is refused between the timeout and a quarter of it later
      headersTimeout: options.headTimeoutMs,
      requestTimeout: Math.max(NODE_REQUEST_TIMEOUT_MS, options.headTimeoutMs),
      connectionsCheckingInterval: Math.min(NODE_CHECKING_INTERVAL_MS, Math.ceil(options.headTimeoutMs / 4)),
      // the missing Host is refused by the vetting (http-vet.ts), which logs it like every other refusal
      requireHostHeader: false,
    });
    // node drops the fields past its count silently; one more than allowed is enough to refuse the head
    this.server.maxHeadersCount = options.maxHeaders + 1;
    this.server.on('request', (req, res) => this.onRequest(req, res, false));
    this.server.on('checkContinue', (req, res) => this.onRequest(req, res, true));
    this.server.on('clientError', (err, socket) => this.onClientError(err as NodeJS.ErrnoException, socket as Socket));
    // without a listener node would close a CONNECT's connection without a word
    this.server.on('connect', (req: IncomingMessage, socket: Socket) => {
      const refused = ANSWERS.methodNotAllowed;
      logRefusal(refused, 'CONNECT', `CONNECT ${req.url} from ${socket.remoteAddress ?? 'unknown'}`, 'nuwsgi is not a proxy');
      socket.on('error', () => {});
      socket.end(rawAnswer(refused));
    });
  }

  async listen(options: BindOptions): Promise<BoundSocket> {
    let bound;
    if (this.https === undefined) {
      if (this.options.cleartextH2 !== undefined) await this.cleartextFront(this.options.cleartextH2);
      bound = await bindServer(this.server, this.address, options);
    } else {
      const tls = await this.secureFronts(this.https);
      bound = await tls.listen(this.address, options);
      // node's HTTP server checks its connections' head and request timeouts once it is
      // listening; over TLS another server listens, so it is told it is
      this.server.emit('listening');
    }
    if (this.address.kind === 'tcp') this.context.serverPort = String(bound.port);
    return bound;
  }

  /**
   * The TLS front and, when h2 is offered, the HTTP/2 front behind it. Their modules are imported
   * here, not at the top, so that a master without an HTTPS listener never loads node:tls,
   * node:http2 and node:crypto: about 8 MiB of its RSS (docs/performance.md).
   */
  private async secureFronts({ settings, certificates, h2 }: HttpsPiece): Promise<TlsFront> {
    const [{ TlsFront }, h2Module] = await Promise.all([import('./tls.ts'), h2 === undefined ? undefined : import('./h2.ts')]);
    const tls = new TlsFront(settings, certificates, (socket) => this.server.emit('connection', socket),
      h2 === undefined ? undefined : (socket, refused) => this.h2!.accept(socket, tls.connectionVars(socket), refused));
    if (h2Module !== undefined && h2 !== undefined) this.h2 = new h2Module.H2Front(this.handler, this.context, h2);
    this.tls = tls;
    return tls;
  }

  /**
   * http2-cleartext on a plain listener: each connection's first bytes say whether it begins with
   * HTTP/2's preface (h2c with prior knowledge, RFC 9113 §3.3), which goes to the HTTP/2 front;
   * any other goes to node:http as it would without the option. h2.ts is imported here, as for
   * TLS, so that a master without the option never loads node:http2.
   */
  private async cleartextFront(options: H2Options): Promise<void> {
    const { H2Front } = await import('./h2.ts');
    const h2 = new H2Front(this.handler, this.context, options);
    // a client that sends nothing (or only part of the preface) gets node's answer to a head that never came
    const firstBytes = new FirstBytes(this.options.headTimeoutMs, (socket) => {
      this.logHeadTimeout(socket.remoteAddress ?? 'unknown');
      socket.write(rawAnswer(ANSWERS.requestTimeout));
      socket.destroySoon();
    });
    interceptConnections(this.server, (socket, toHttp) => firstBytes.read(socket, prefaceDecided, (bytes) => {
      if (beginsWithPreface(bytes)) {
        h2.accept(socket);
        return;
      }
      toHttp(socket);
      // node:http reads the connection itself from now on, but what was put back waits in the
      // socket's own buffer, which flows to node's parser only once resumed
      socket.resume();
    }));
    this.h2 = h2;
    this.firstBytes = firstBytes;
  }

  /** On an HTTPS listener, reads the certificate files again (tls.ts); a plain one has none. */
  reloadCertificates(): void {
    this.tls?.reload();
  }

  get addHeaders(): readonly string[] {
    return this.options.addHeaders;
  }

  /** Shutting down, or keep-alive turned off (--http-keepalive=0): every response closes its connection. */
  get closesEveryConnection(): boolean {
    return this.draining || this.options.keepAliveTimeoutMs === 0;
  }

  /** Stops accepting; idle keep-alive connections close, busy ones close after their response. */
  close(): Promise<void> {
    this.draining = true;
    const httpClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // over TLS the HTTP server listens on nothing: the TLS server knows when the last connection closed
    const closed = this.tls === undefined ? httpClosed : this.tls.close();
    // HTTP/2 connections get GOAWAY: their open streams finish, then they close
    void this.h2?.close();
    // Connections busy now go idle after their response (those whose head went out before the
    // drain began were promised keep-alive): close each as soon as it does.
    this.server.closeIdleConnections();
    const sweep = setInterval(() => this.server.closeIdleConnections(), IDLE_SWEEP_MS).unref();
    void closed.then(() => clearInterval(sweep));
    return closed;
  }

  /** Drops every connection (after the mercy timeout). */
  closeAll(): void {
    this.server.closeAllConnections();
    this.tls?.closeAll();
    this.firstBytes?.dropAll();
    this.h2?.closeAll();
  }

  /** A response that closes `socket` is going out: nothing pipelined after it is served. */
  lastResponseOn(socket: Socket): void {
    this.closing.add(socket);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const socket = req.socket;
    if (this.closing.has(socket)) return;
    const built = buildHttpRequest({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      versionMajor: req.httpVersionMajor,
      versionMinor: req.httpVersionMinor,
      rawHeaders: req.rawHeaders,
      peerAddress: socket.remoteAddress,
      peerPort: socket.remotePort,
      expectContinue,
      trailers: () => req.rawTrailers,
      connectionVars: this.tls?.connectionVars(socket as TLSSocket),
    }, this.context);
    if (isRefusal(built)) {
      this.lastResponseOn(socket);
      logRefusal(built.answer, built.rule, `${req.method} ${req.url} from ${socket.remoteAddress ?? 'unknown'}`, built.why);
      res.writeHead(built.answer.status, built.answer.reason, [...answerHeaders(built.answer), 'Connection', 'close']);
      res.end(built.answer.body);
      return;
    }
    this.handler.handle(built, new HttpResponseWriter(req, res, built, this), built.bodyLength !== 0 ? req : null);
  }

  /** The line of a client that sent no complete head within http-timeout (node's refusal, or h2c's sniffing). */
  private logHeadTimeout(peer: string): void {
    logRefusal(ANSWERS.requestTimeout, 'head timeout', `request from ${peer}`, `no complete head within ${this.options.headTimeoutMs / 1000} s`);
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    const peer = socket.remoteAddress ?? 'unknown';
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // The response being written on this connection, if any (node's own default handler looks at
    // the same field).
    const inProgress = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    const current = inProgress?.req;
    if (current !== undefined && !current.complete) {
      // The error is in the body of the request being served (the client closed the connection
      // mid-body, or sent a malformed chunk): it cannot be completed. Closing the connection
      // aborts the body, so wsgi.input raises in the app and the worker lets go of the request.
      const what = err.code === 'HPE_INVALID_EOF_STATE' ? 'the client closed the connection' : `${err.code ?? 'error'}: ${err.message}`;
      log(`${current.method} ${current.url} from ${peer}: request body broken off (${what}); connection closed`);
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_CLOSED_CONNECTION') {
      // bytes after a `Connection: close` request: ignored (RFC 9112 9.6), the connection closes after the response
      if (!inProgress) socket.destroy();
      return;
    }
    let answer: Answer = ANSWERS.badRequest;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      answer = ANSWERS.headTooLarge;
      logRefusal(answer, 'head size', `request head from ${peer}`, `larger than buffer-size (${this.options.maxHeadSize} bytes)`);
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      answer = ANSWERS.requestTimeout;
      this.logHeadTimeout(peer);
    } else {
      logRefusal(answer, 'malformed', `malformed HTTP request from ${peer}`, `${err.code ?? 'error'}: ${err.message}`);
    }
    if (inProgress) {
      // the error is in a request pipelined behind the one being answered: finish that one, then close
      inProgress.once('finish', () => socket.destroy());
      return;
    }
    socket.end(rawAnswer(answer));
  }
}

/** Whether a connection's first bytes are enough to tell: as long as the preface, or already unlike it. */
function prefaceDecided(bytes: Buffer): boolean {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  return n === H2_PREFACE.length || bytes.compare(H2_PREFACE, 0, n, 0, n) !== 0;
}

function beginsWithPreface(bytes: Buffer): boolean {
  return bytes.length >= H2_PREFACE.length && bytes.compare(H2_PREFACE, 0, H2_PREFACE.length, 0, H2_PREFACE.length) === 0;
}

/** Whether a flat [name, value, ...] head says `Connection: close`. */
function closesConnection(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].length === 10 && headers[i].toLowerCase() === 'connection' && /\bclose\b/i.test(headers[i + 1])) return true;
  }
  return false;
}
