// The HTTP/1.1 front (`--http`, `--http-socket`, `--socket` with `--protocol=http`), on node:http:
// keep-alive, pipelining, chunked bodies both ways, Expect: 100-continue, HEAD and HTTP/1.0 are
// node's; this file turns a request into the environ block the workers read (docs/channel.md) and
// the worker's answer back into a response.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import type { AddressList } from '../config/address-list.ts';
import { log } from '../observe/log.ts';
import type { Dispatcher } from '../router/dispatcher.ts';
import { Exchange, type RequestCounters, type RequestInfo } from '../router/exchange.ts';
import type { SocketAddress } from './address.ts';
import { bindServer, type BindOptions, type BoundSocket, type Listener } from './bind.ts';
import { cgiHeaderName, percentDecodeLatin1 } from './environ.ts';
import { forwardedOrigin } from './peers.ts';

/** While draining, how often connections that went idle are closed. */
const IDLE_SWEEP_MS = 100;
/**
 * An error response sent before the request body arrived keeps the connection open when at most
 * this much of the body is still to come (node reads and discards it); past that, or when the
 * length is unknown, reading it all would cost more than a new connection, so the connection closes.
 */
const DISCARDABLE_BODY = 64 * 1024;

export interface HttpListenerOptions {
  /** Largest request head accepted (buffer-size). */
  maxHeadSize: number;
  keepAliveTimeoutMs: number;
  /** trusted-proxy: peers whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustedProxies: AddressList;
}

class HttpExchange extends Exchange {
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly listener: HttpListener;
  private readonly expectContinue: boolean;
  private continueSent = false;

  constructor(environ: string, info: RequestInfo, req: IncomingMessage, res: ServerResponse,
    bodyLength: number, expectContinue: boolean, listener: HttpListener) {
    super(environ, info, bodyLength !== 0 ? req : null, bodyLength, expectContinue, listener.counters);
    this.req = req;
    this.res = res;
    this.expectContinue = expectContinue;
    this.listener = listener;
  }

  protected writeHead(status: number, reason: string, headers: string[]): void {
    if (this.listener.closesEveryConnection) headers.push('Connection', 'close');
    try {
      this.res.writeHead(status, reason, headers);
    } catch (err) {
      // node refused a header the worker let through; never let one response take the master down
      log(`bad response head for ${this.info.method} ${this.info.uri}: ${(err as Error).message}`);
      this.res.writeHead(500, 'Internal Server Error', ['Content-Type', 'text/plain', 'Content-Length', '21']);
      this.res.end('Internal Server Error');
    }
  }

  protected writeToClient(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  protected endResponse(last: Buffer | null): void {
    if (last === null) this.res.end();
    else this.res.end(last);
  }

  protected abortConnection(): void {
    // what was written still reaches the client, then the connection closes: the client sees a
    // response cut short (no final chunk, or fewer bytes than its Content-Length), never a complete one
    this.res.socket?.destroySoon();
  }

  protected failResponse(status: number, headers: readonly string[]): void {
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = `${status} ${http.STATUS_CODES[status] ?? ''}\n`;
    const head = ['Content-Type', 'text/plain', 'Content-Length', String(body.length), ...headers];
    if (this.tooMuchBodyToCome()) head.push('Connection', 'close');
    res.writeHead(status, head);
    res.end(body);
  }

  /** Whether too much of the request body (or an unknown amount) is still to come to discard it. */
  private tooMuchBodyToCome(): boolean {
    const req = this.req;
    if (this.bodyLength === 0 || req.complete) return false;
    // a client waiting for 100 Continue sends no body after a final status, so it cannot be read to its end
    if (this.expectContinue && !this.continueSent) return true;
    return this.bodyLength === -1 || this.bodyLength > DISCARDABLE_BODY;
  }

  protected sendContinue(): void {
    this.continueSent = true;
    this.res.writeContinue();
  }

  protected onClientDrain(callback: () => void): void {
    this.res.once('drain', callback);
  }
}

export class HttpListener implements Listener {
  readonly address: SocketAddress;
  readonly counters: RequestCounters;
  draining = false;
  private readonly server: http.Server;
  private readonly dispatcher: Dispatcher;
  private readonly options: HttpListenerOptions;
  private readonly serverName = os.hostname();
  /** uWSGI's SERVER_PORT: the TCP port, or 80 on a unix or abstract socket. */
  private serverPort = '80';

  constructor(address: SocketAddress, dispatcher: Dispatcher, counters: RequestCounters, options: HttpListenerOptions) {
    this.address = address;
    this.dispatcher = dispatcher;
    this.counters = counters;
    this.options = options;
    this.server = http.createServer({
      maxHeaderSize: options.maxHeadSize,
      highWaterMark: 64 * 1024,
      keepAliveTimeout: options.keepAliveTimeoutMs,
    });
    this.server.on('request', (req, res) => this.onRequest(req, res, false));
    this.server.on('checkContinue', (req, res) => this.onRequest(req, res, true));
    this.server.on('clientError', (err, socket) => this.onClientError(err as NodeJS.ErrnoException, socket as Socket));
  }

  async listen(options: BindOptions): Promise<BoundSocket> {
    const bound = await bindServer(this.server, this.address, options);
    if (this.address.kind === 'tcp') this.serverPort = String(bound.port);
    return bound;
  }

  /** Shutting down, or keep-alive turned off (--http-keepalive=0): every response closes its connection. */
  get closesEveryConnection(): boolean {
    return this.draining || this.options.keepAliveTimeoutMs === 0;
  }

  /** Stops accepting; idle keep-alive connections close, busy ones close after their response. */
  close(): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
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
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (path.charCodeAt(0) !== 47 /* '/' */ && path !== '*') path = absoluteFormPath(path);
    const pathInfo = path.indexOf('%') === -1 ? path : percentDecodeLatin1(path);
    if (pathInfo.indexOf('\0') !== -1) {
      rejectRequest(res, 400, 'the path contains an encoded NUL byte', req);
      return;
    }
    const socket = req.socket;
    let remoteAddr = socket.remoteAddress ?? '';
    if (remoteAddr.startsWith('::ffff:')) remoteAddr = remoteAddr.slice(7);
    const protocol = req.httpVersionMajor === 1 && req.httpVersionMinor === 1 ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`;

    let environ = 'REQUEST_METHOD\0' + req.method + '\0REQUEST_URI\0' + url + '\0PATH_INFO\0' + pathInfo +
      '\0QUERY_STRING\0' + (q === -1 ? '' : url.slice(q + 1)) + '\0SERVER_PROTOCOL\0' + protocol +
      '\0SCRIPT_NAME\0\0SERVER_NAME\0' + this.serverName + '\0SERVER_PORT\0' + this.serverPort;
    if (socket.remotePort !== undefined) environ += '\0REMOTE_PORT\0' + socket.remotePort;

    const raw = req.rawHeaders;
    let keys: string[] | null = null;
    let values: string[] | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const key = cgiHeaderName(raw[i]);
      if (key === null) continue; // a name with '_' could spoof a dashed one (nginx drops them too)
      if (keys === null) {
        keys = [key];
        values = [raw[i + 1]];
        continue;
      }
      const seen = keys.indexOf(key);
      if (seen === -1) {
        keys.push(key);
        values!.push(raw[i + 1]);
      } else {
        values![seen] += (key === 'HTTP_COOKIE' ? '; ' : ', ') + raw[i + 1];
      }
    }
    let scheme = 'http';
    if (keys !== null) {
      for (let i = 0; i < keys.length; i++) environ += '\0' + keys[i] + '\0' + values![i];
      const trusted = this.options.trustedProxies;
      if (!trusted.empty && (this.address.kind === 'tcp' ? trusted.has(remoteAddr) : trusted.unix)) {
        const forwardedFor = keys.indexOf('HTTP_X_FORWARDED_FOR');
        const forwardedProto = keys.indexOf('HTTP_X_FORWARDED_PROTO');
        ({ remoteAddr, scheme } = forwardedOrigin(trusted, remoteAddr, scheme,
          forwardedFor === -1 ? undefined : values![forwardedFor], forwardedProto === -1 ? undefined : values![forwardedProto]));
      }
    }
    environ += '\0REMOTE_ADDR\0' + remoteAddr + '\0wsgi.url_scheme\0' + scheme;

    // node has checked Content-Length, and refused requests with both it and Transfer-Encoding
    const contentLength = req.headers['content-length'];
    const bodyLength = req.headers['transfer-encoding'] !== undefined ? -1 : contentLength === undefined ? 0 : Number(contentLength);
    const info: RequestInfo = { method: req.method ?? 'GET', uri: url, protocol, remoteAddr };
    const exchange = new HttpExchange(environ, info, req, res, bodyLength, expectContinue && bodyLength !== 0, this);
    res.on('close', () => {
      if (!res.writableFinished) exchange.cancel();
    });
    this.dispatcher.dispatch(exchange);
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
    let status = '400 Bad Request';
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = '431 Request Header Fields Too Large';
      log(`request head from ${peer} is larger than buffer-size (${this.options.maxHeadSize} bytes): answered 431; raise it with --buffer-size`);
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = '408 Request Timeout';
      log(`request from ${peer} timed out before its head was complete: answered 408`);
    } else {
      log(`malformed HTTP request from ${peer} (${err.code ?? 'error'}: ${err.message}): answered 400`);
    }
    if (inProgress) {
      // the error is in a request pipelined behind the one being answered: finish that one, then close
      inProgress.once('finish', () => socket.destroy());
      return;
    }
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
}

/** `http://host/path` (absolute-form, as sent to proxies) -> `/path`. */
function absoluteFormPath(target: string): string {
  const scheme = target.indexOf('://');
  if (scheme === -1) return target;
  const slash = target.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : target.slice(slash);
}

function rejectRequest(res: ServerResponse, status: number, why: string, req: IncomingMessage): void {
  log(`${req.method} ${req.url}: answered ${status}: ${why}`);
  const body = `${status} ${http.STATUS_CODES[status]}\n`;
  res.writeHead(status, ['Content-Type', 'text/plain', 'Content-Length', String(body.length), 'Connection', 'close']);
  res.end(body);
}
