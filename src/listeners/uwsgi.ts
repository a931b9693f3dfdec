// The uwsgi protocol front (`--socket`, `--uwsgi-socket`), what nginx's uwsgi_pass speaks: one
// request per connection. The head is parsed by uwsgi-codec.ts; its vars become the environ block
// the workers read (docs/channel.md) the way uWSGI maps them, so an app cannot tell nginx → nuwsgi
// from nginx → uWSGI; the body is exactly CONTENT_LENGTH bytes; the answer is a raw HTTP response
// (status line, headers, body) whose end is the end of the connection.
//
// Vars that make uWSGI load code or change its state (UWSGI_FILE, UWSGI_MODULE, UWSGI_CHDIR, ...:
// every UWSGI_*) are never honoured nor passed on, and neither are keys with a dot, the server's
// own namespace (wsgi.*). HTTP_CONTENT_TYPE and HTTP_CONTENT_LENGTH, which nginx sends next to
// CONTENT_TYPE and CONTENT_LENGTH, are dropped as PEP 3333 wants.
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { log } from '../observe/log.ts';
import type { Dispatcher } from '../router/dispatcher.ts';
import { Exchange, type RequestCounters, type RequestInfo } from '../router/exchange.ts';
import type { SocketAddress } from './address.ts';
import { bindServer, type BindOptions, type BoundSocket, type Listener } from './bind.ts';
import { forwardedOrigin, type AddressList } from './peers.ts';
import { UwsgiHeadParser, UwsgiParseError, type UwsgiHead } from './uwsgi-codec.ts';

export interface UwsgiListenerOptions {
  /** buffer-size: the largest vars block accepted. */
  maxDatasize: number;
  /** socket-timeout, in ms: for the head, and for each wait for more of the body. */
  socketTimeoutMs: number;
  /** uwsgi-allow: the peers a TCP socket accepts. */
  allow: AddressList;
  /** trusted-proxy: the REMOTE_ADDRs whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustedProxies: AddressList;
}

const HTTP_ON_UWSGI = 'this looks like HTTP on a uwsgi socket: use http-socket or put nginx in front';
const TLS_ON_UWSGI = 'this looks like TLS (HTTPS) on a uwsgi socket: put nginx in front to terminate TLS';
/** Request bodies are read in chunks of up to this much before the exchange has to take them. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

/** What a head's vars become. */
interface Request {
  environ: string;
  info: RequestInfo;
  contentLength: number;
  /** The status line's protocol: SERVER_PROTOCOL when it is one, else HTTP/1.0 (as uWSGI). */
  responseProtocol: string;
}

export class UwsgiListener implements Listener {
  readonly counters: RequestCounters;
  readonly options: UwsgiListenerOptions;
  readonly dispatcher: Dispatcher;
  /** The address as bound, for log lines. */
  label = '';
  private readonly address: SocketAddress;
  private readonly server: net.Server;
  private readonly connections = new Set<UwsgiConnection>();

  constructor(address: SocketAddress, dispatcher: Dispatcher, counters: RequestCounters, options: UwsgiListenerOptions) {
    this.address = address;
    this.dispatcher = dispatcher;
    this.counters = counters;
    this.options = options;
    // allowHalfOpen: a peer that shuts down its sending side after the request still gets the response
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.onConnection(socket));
  }

  async listen(options: BindOptions): Promise<BoundSocket> {
    const bound = await bindServer(this.server, this.address, options);
    this.label = bound.label;
    return bound;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  closeAll(): void {
    for (const connection of this.connections) connection.socket.destroy();
  }

  forget(connection: UwsgiConnection): void {
    this.connections.delete(connection);
  }

  private onConnection(socket: net.Socket): void {
    if (this.address.kind === 'tcp' && !this.options.allow.has(socket.remoteAddress ?? '')) {
      log(`uwsgi connection from ${socket.remoteAddress ?? 'an unknown address'} on ${this.label} refused: ` +
        'the peer is not in --uwsgi-allow');
      socket.destroy();
      return;
    }
    this.connections.add(new UwsgiConnection(socket, this));
  }

  /** The environ block and log details of a head, or why it is answered 400. */
  buildRequest(head: UwsgiHead): Request | string {
    const { keys, values } = head;
    let environ = '';
    let contentLength = 0;
    let method = '';
    let uri: string | undefined;
    let pathInfo = '';
    let query = '';
    let protocol = '';
    let remoteAddr = '';
    let httpsOn = false;
    let schemeHttps = false;
    let hasScriptName = false;
    let forwardedFor: string | undefined;
    let forwardedProto: string | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const value = values[i];
      if (key.indexOf('\0') !== -1 || value.indexOf('\0') !== -1) return `the var ${JSON.stringify(key)} contains a NUL byte`;
      if (key.startsWith('UWSGI_') || key.indexOf('.') !== -1) continue;
      switch (key) {
        case 'HTTP_CONTENT_TYPE':
        case 'HTTP_CONTENT_LENGTH':
          continue;
        case 'REMOTE_ADDR':
          // appended last, once X-Forwarded-For is known
          remoteAddr = value;
          continue;
        case 'CONTENT_LENGTH':
          contentLength = parseContentLength(value);
          if (contentLength === -1) return `CONTENT_LENGTH ${JSON.stringify(value)} is not a length`;
          break;
        case 'REQUEST_METHOD':
          method = value;
          break;
        case 'REQUEST_URI':
          uri = value;
          break;
        case 'PATH_INFO':
          pathInfo = value;
          break;
        case 'QUERY_STRING':
          query = value;
          break;
        case 'SERVER_PROTOCOL':
          protocol = value;
          break;
        case 'HTTPS':
          httpsOn = value.charCodeAt(0) === 49 /* '1' */ || value.slice(0, 2).toLowerCase() === 'on';
          break;
        case 'REQUEST_SCHEME':
          schemeHttps = value.toLowerCase() === 'https';
          break;
        case 'SCRIPT_NAME':
          hasScriptName = true;
          break;
        case 'HTTP_X_FORWARDED_FOR':
          forwardedFor = value;
          break;
        case 'HTTP_X_FORWARDED_PROTO':
          forwardedProto = value;
          break;
      }
      environ += '\0' + key + '\0' + value;
    }

    let scheme = httpsOn || schemeHttps ? 'https' : 'http';
    const trusted = this.options.trustedProxies;
    if (!trusted.empty && trusted.has(remoteAddr)) {
      ({ remoteAddr, scheme } = forwardedOrigin(trusted, remoteAddr, scheme, forwardedFor, forwardedProto));
    }
    if (remoteAddr !== '') environ += '\0REMOTE_ADDR\0' + remoteAddr;
    if (!hasScriptName) environ += '\0SCRIPT_NAME\0';
    return {
      environ: 'wsgi.url_scheme\0' + scheme + environ,
      info: { method, uri: uri ?? (query === '' ? pathInfo : pathInfo + '?' + query), protocol, remoteAddr },
      contentLength,
      responseProtocol: isHttpVersion(protocol) ? protocol : 'HTTP/1.0',
    };
  }
}

/** Where a connection is in reading its request. */
type ReadState = 'head' | 'body' | 'done';

/** One connection: one request and its response. */
class UwsgiConnection {
  readonly socket: net.Socket;
  readonly listener: UwsgiListener;
  private parser: UwsgiHeadParser | null;
  private reading: ReadState = 'head';
  private receivedAny = false;
  private exchange: UwsgiExchange | null = null;
  private body: UwsgiBody | null = null;
  private bodyRemaining = 0;
  private bodyLength = 0;
  /** The head and all of the body were read: the peer owes nothing more. */
  private requestRead = false;
  /** The response is complete, or the connection is closing without one. */
  private ended = false;

  constructor(socket: net.Socket, listener: UwsgiListener) {
    this.socket = socket;
    this.listener = listener;
    this.parser = new UwsgiHeadParser(listener.options.maxDatasize);
    socket.setTimeout(listener.options.socketTimeoutMs);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('timeout', this.onTimeout);
    socket.on('close', this.onClose);
    socket.on('error', () => {
      // ECONNRESET, EPIPE...: 'close' follows and does the bookkeeping
    });
  }

  /** How log lines name this connection: `request from 127.0.0.1 on 127.0.0.1:3031`, `request on /run/app.sock`. */
  private get origin(): string {
    const peer = this.socket.remoteAddress;
    return peer === undefined ? `request on ${this.listener.label}` : `request from ${peer} on ${this.listener.label}`;
  }

  private readonly onData = (chunk: Buffer): void => {
    switch (this.reading) {
      case 'head':
        this.receivedAny = true;
        this.onHeadBytes(chunk);
        break;
      case 'body':
        this.onBodyBytes(chunk);
        break;
      case 'done':
        // bytes past CONTENT_LENGTH, or the rest of a body the app did not want: discarded
        break;
    }
  };

  private onHeadBytes(chunk: Buffer): void {
    const result = this.parser!.feed(chunk);
    if (result === null) return;
    this.parser = null;
    if (result instanceof UwsgiParseError) this.refuse(result);
    else this.startRequest(result);
  }

  private startRequest(head: UwsgiHead): void {
    const request = this.listener.buildRequest(head);
    if (typeof request === 'string') {
      this.reading = 'done';
      this.answerAndClose(400, 'Bad Request', `${this.origin}: answered 400 because ${request}`);
      return;
    }
    const length = request.contentLength;
    if (length > 0) {
      this.reading = 'body';
      this.bodyRemaining = length;
      this.bodyLength = length;
      this.body = new UwsgiBody(this);
    } else {
      this.reading = 'done';
      this.requestRead = true;
      this.socket.setTimeout(0); // the app may take its time; nothing more is expected from the peer
    }
    const exchange = new UwsgiExchange(request, this.body, length, this);
    this.exchange = exchange;
    this.listener.dispatcher.dispatch(exchange);
    if (length > 0 && head.rest.length > 0) this.onBodyBytes(head.rest);
  }

  private onBodyBytes(chunk: Buffer): void {
    const body = this.body!;
    const piece = chunk.length <= this.bodyRemaining ? chunk : chunk.subarray(0, this.bodyRemaining);
    this.bodyRemaining -= piece.length;
    const wantsMore = body.push(piece);
    if (this.bodyRemaining === 0) {
      body.push(null);
      this.reading = 'done';
      this.requestRead = true;
      this.socket.setTimeout(this.ended ? this.listener.options.socketTimeoutMs : 0);
      this.socket.resume(); // from now on only to notice the peer closing
    } else if (!wantsMore) {
      this.pauseBody();
    }
  }

  /** The exchange is out of credit: stop reading until it takes more (UwsgiBody._read). */
  pauseBody(): void {
    this.socket.pause();
    if (!this.ended) this.socket.setTimeout(0);
  }

  resumeBody(): void {
    if (this.reading !== 'body') return;
    this.socket.resume();
    this.socket.setTimeout(this.listener.options.socketTimeoutMs);
  }

  private refuse(error: UwsgiParseError): void {
    this.reading = 'done';
    const from = this.origin;
    switch (error.code) {
      case 'LOOKS_LIKE_HTTP':
        this.answerAndClose(400, 'Bad Request', `${from}: ${HTTP_ON_UWSGI}`, HTTP_ON_UWSGI + '\n');
        return;
      case 'LOOKS_LIKE_TLS':
        log(`${from}: ${TLS_ON_UWSGI}`);
        break;
      case 'UNSUPPORTED_MODIFIER':
        log(`${from}: unsupported modifier1 ${error.value} (only 0, a WSGI request, is served); connection closed`);
        break;
      case 'HEAD_TOO_LARGE':
        this.answerAndClose(431, 'Request Header Fields Too Large',
          `${from}: ${error.message}: answered 431; raise it with --buffer-size (at most 65535 for the uwsgi protocol)`);
        return;
      default:
        this.answerAndClose(400, 'Bad Request', `${from}: invalid uwsgi request (${error.message}): answered 400`);
        return;
    }
    this.ended = true;
    this.socket.destroy();
  }

  /** A whole small response from the master itself, then the end of the connection. */
  answer(status: number, reason: string, text: string, protocol: string, headers: readonly string[] = []): void {
    let head = `${protocol} ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    this.finish(`${head}\r\n${text}`);
  }

  /** answer(), logged: for requests refused before they became an exchange. */
  private answerAndClose(status: number, reason: string, logLine: string, text = `${status} ${reason}\n`): void {
    log(logLine);
    this.answer(status, reason, text, 'HTTP/1.0');
  }

  /**
   * Ends the response (with its last bytes). A request read whole closes at once when it can
   * (closeIfFlushed). Otherwise the peer gets socket-timeout to close its side; what it still
   * sends is read and discarded meanwhile, so that unread bytes never turn the close into a reset
   * that could destroy the response on its way.
   */
  finish(last: Buffer | string | null): void {
    this.ended = true;
    const socket = this.socket;
    if (last !== null) socket.write(last, 'latin1'); // the encoding is for a string; a Buffer goes as it is
    if (this.requestRead && this.closeIfFlushed()) return;
    socket.setTimeout(this.listener.options.socketTimeoutMs);
    if (this.reading === 'done') socket.resume();
    socket.end();
  }

  /**
   * The fast end of a request that was read whole (nginx sends nothing after it): when the
   * response has left at once, the connection closes now, with nothing unread, so the peer sees a
   * plain end of stream. This saves a shutdown, a wake-up and a read per request over waiting for
   * the peer to close first. False when bytes are still queued (a slow peer): finish() goes on.
   */
  private closeIfFlushed(): boolean {
    const socket = this.socket;
    while (socket.writableCorked > 0) socket.uncork();
    if (socket.writableLength !== 0) return false;
    socket.destroy();
    return true;
  }

  private readonly onEnd = (): void => {
    if (this.reading === 'head') {
      if (this.receivedAny) log(`${this.origin}: the connection closed before the request head was complete`);
      this.socket.destroy();
    } else if (this.reading === 'body') {
      // once answered (the app did not want the rest, or the master refused the request), the
      // rest of the body no longer matters
      if (!this.ended) {
        log(`${this.origin}: the connection closed after ` +
          `${this.bodyLength - this.bodyRemaining} of the ${this.bodyLength} bytes of the body`);
      }
      this.socket.destroy();
    } else if (this.ended) {
      this.socket.destroy();
    }
    // otherwise the peer only stopped sending: the response still goes out
  };

  private readonly onTimeout = (): void => {
    const seconds = this.listener.options.socketTimeoutMs / 1000;
    if (this.ended) {
      // the peer did not close its side after the response: nothing more is owed to it
    } else if (this.reading === 'head') {
      log(`${this.origin}: no complete request head within ${seconds} s ` +
        '(socket-timeout): connection closed');
    } else if (this.reading === 'body') {
      log(`${this.origin}: nothing more of the body within ${seconds} s ` +
        `(socket-timeout) after ${this.bodyLength - this.bodyRemaining} of ${this.bodyLength} bytes: connection closed`);
    }
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.listener.forget(this);
    if (this.reading === 'body') {
      this.reading = 'done';
      this.body!.destroy(new Error('the connection closed before the end of the request body'));
    }
    if (!this.ended) {
      this.ended = true;
      this.exchange?.cancel();
    }
  };
}

/** The request body: exactly CONTENT_LENGTH bytes of the connection, paused when the exchange is. */
class UwsgiBody extends Readable {
  private readonly connection: UwsgiConnection;

  constructor(connection: UwsgiConnection) {
    super({ highWaterMark: BODY_HIGH_WATER_MARK });
    this.connection = connection;
    // The exchange listens for errors once a worker takes the request; a body that breaks off
    // before that (the exchange is then cancelled and never sent) must not be an uncaught error.
    this.on('error', () => {});
  }

  override _read(): void {
    this.connection.resumeBody();
  }
}

class UwsgiExchange extends Exchange {
  private readonly connection: UwsgiConnection;
  private readonly socket: net.Socket;
  private readonly responseProtocol: string;
  /** The head waits corked for the first body bytes, so that they leave in one write. */
  private corked = false;

  constructor(request: Request, body: UwsgiBody | null, bodyLength: number, connection: UwsgiConnection) {
    super(request.environ, request.info, body, bodyLength, false, connection.listener.counters);
    this.connection = connection;
    this.socket = connection.socket;
    this.responseProtocol = request.responseProtocol;
  }

  protected writeHead(status: number, reason: string, headers: string[]): void {
    let head = this.responseProtocol + ' ' + status + ' ' + reason + '\r\n';
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + '\r\n';
    this.socket.cork();
    this.corked = true;
    this.socket.write(head + '\r\n', 'latin1');
  }

  protected writeToClient(chunk: Buffer): boolean {
    const more = this.socket.write(chunk);
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
    return more;
  }

  protected endResponse(last: Buffer | null): void {
    this.corked = false; // end() uncorks
    this.connection.finish(last);
  }

  protected abortConnection(): void {
    // The end of a uwsgi response is the end of the connection, so a plain close would pass a
    // response without Content-Length off as complete; a reset tells the peer it was cut short.
    this.socket.resetAndDestroy();
  }

  protected failResponse(status: number, headers: readonly string[]): void {
    // what the peer still sends of the body is read and discarded (the exchange resumed it), so
    // that nginx can finish sending the request and read this answer
    const message = http.STATUS_CODES[status] ?? '';
    this.connection.answer(status, message, `${status} ${message}\n`, this.responseProtocol, headers);
  }

  protected sendContinue(): void {
    // never called: nginx answers Expect: 100-continue itself, so no uwsgi request is EXPECT_CONTINUE
  }

  protected onClientDrain(callback: () => void): void {
    this.socket.once('drain', callback);
  }
}

/** A CONTENT_LENGTH value as a number: empty is 0 (nginx sends it empty without a body); -1 if invalid. */
function parseContentLength(value: string): number {
  if (value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/** `HTTP/1.1`, `HTTP/2.0`...: safe to echo in the status line. */
function isHttpVersion(protocol: string): boolean {
  if (protocol.length !== 8 || !protocol.startsWith('HTTP/') || protocol.charCodeAt(6) !== 46 /* '.' */) return false;
  const major = protocol.charCodeAt(5) - 48;
  const minor = protocol.charCodeAt(7) - 48;
  return major >= 0 && major <= 9 && minor >= 0 && minor <= 9;
}
