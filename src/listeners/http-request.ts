// From a parsed HTTP/1.x head to the request the router gets: its fields and its environ block. A
// pure function of the head and the listener, so it is tested in-process (test/http-request.test.ts).
// HTTP/2 requests are built by the same code once their own rules passed (h2-request.ts).
import type { AddressList } from '../config/address-list.ts';
import { ANSWERS } from './answers.ts';
import { cgiHeaderName, percentDecodeLatin1 } from './environ.ts';
import { vetHttpHead, vetTrailers } from './http-vet.ts';
import { forwardedOrigin } from './peers.ts';
import type { ParsedRequest, Refusal } from './request.ts';

/** A request head of any HTTP version, its header fields as received. */
export interface RequestHead {
  method: string;
  url: string;
  /** [name, value, name, value, ...] as received. */
  rawHeaders: readonly string[];
  /** The peer's address (`::ffff:` mapped IPv4 included) and port; undefined on unix sockets. */
  peerAddress: string | undefined;
  peerPort: number | undefined;
  expectContinue: boolean;
  /** The trailer of a body of unknown length, [name, value, ...], once the body has ended. */
  trailers(): readonly string[];
  /** CGI variables of the connection, each pair led by a NUL (TLS: `\0HTTPS\0on`...); none on a plain one. */
  connectionVars?: string;
}

/** The head as node's HTTP/1.x parser delivers it. */
export interface HttpHead extends RequestHead {
  versionMajor: number;
  versionMinor: number;
}

/** What the listener the request came in on says about it. */
export interface HttpListenerContext {
  serverName: string;
  /** uWSGI's SERVER_PORT: the TCP port, or 80 on a unix or abstract socket. */
  serverPort: string;
  /** The listener's own scheme (TLS listeners say https). */
  scheme: 'http' | 'https';
  /** trusted-proxy: peers whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  trustedProxies: AddressList;
  /** The listener is a unix socket (its peers have no address: `unix` in trusted-proxy stands for them). */
  unix: boolean;
  /** http-max-headers. */
  maxHeaders: number;
}

/** The request, or the refusal of its head (http-vet.ts). */
export function buildHttpRequest(head: HttpHead, listener: HttpListenerContext): ParsedRequest | Refusal {
  const refused = vetHttpHead(head, listener.maxHeaders);
  if (refused !== undefined) return refused;
  const protocol = head.versionMajor === 1 && head.versionMinor === 1 ? 'HTTP/1.1' : `HTTP/${head.versionMajor}.${head.versionMinor}`;
  return requestFromHead(head, protocol, listener, http1BodyLength);
}

/**
 * The request of a head that passed its version's rules (http-vet.ts), or the refusal of its path.
 * `bodyLength` reads the body's length from the headers by CGI name (ParsedRequest.bodyLength).
 */
export function requestFromHead(head: RequestHead, protocol: string, listener: HttpListenerContext,
  bodyLength: (headers: ReadonlyMap<string, string>) => number): ParsedRequest | Refusal {
  const url = head.url;
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  // OPTIONS * names no resource: PATH_INFO is empty (CGI and wsgiref.validate allow nothing else
  // that does not start with '/'); REQUEST_URI keeps the '*'
  if (path === '*') path = '';
  else if (path.charCodeAt(0) !== 47 /* '/' */) path = absoluteFormPath(path);
  const pathInfo = path.indexOf('%') === -1 ? path : percentDecodeLatin1(path);
  if (pathInfo.indexOf('\0') !== -1) return { answer: ANSWERS.badRequest, rule: 'NUL in path', why: 'the path contains an encoded NUL byte' };
  const query = q === -1 ? '' : url.slice(q + 1);
  let remoteAddr = head.peerAddress ?? '';
  if (remoteAddr.startsWith('::ffff:')) remoteAddr = remoteAddr.slice(7);

  const headers = cgiHeaders(head.rawHeaders);
  let scheme: string = listener.scheme;
  let forwardedFor: string | undefined;
  const trusted = listener.trustedProxies;
  if (headers.size > 0 && !trusted.empty && (listener.unix ? trusted.unix : trusted.has(remoteAddr))) {
    forwardedFor = headers.get('HTTP_X_FORWARDED_FOR');
    ({ remoteAddr, scheme } = forwardedOrigin(trusted, remoteAddr, scheme,
      forwardedFor, headers.get('HTTP_X_FORWARDED_PROTO')));
  }
  return new HttpRequest(head, listener, {
    method: head.method, uri: url, path: pathInfo, query, protocol, headers, scheme, remoteAddr, bodyLength: bodyLength(headers), forwardedFor,
  });
}

/**
 * An HTTP/1.x body's length: node's parser has checked Content-Length and refused it beside
 * Transfer-Encoding, and the vetting refused a second one and any coding but chunked.
 */
function http1BodyLength(headers: ReadonlyMap<string, string>): number {
  const contentLength = headers.get('CONTENT_LENGTH');
  return headers.has('HTTP_TRANSFER_ENCODING') ? -1 : contentLength === undefined ? 0 : Number(contentLength);
}

/** The fields of a request that its environ block is made of. */
interface RequestFields {
  method: string;
  uri: string;
  path: string;
  query: string;
  protocol: string;
  headers: Map<string, string>;
  scheme: string;
  remoteAddr: string;
  bodyLength: number;
  forwardedFor: string | undefined;
}

/**
 * A request from an HTTP head. Its environ block is made when first asked for: a static file
 * answered by the master never needs it.
 */
class HttpRequest implements ParsedRequest {
  readonly method: string;
  readonly uri: string;
  readonly path: string;
  readonly query: string;
  readonly protocol: string;
  readonly headers: Map<string, string>;
  readonly scheme: string;
  readonly remoteAddr: string;
  readonly bodyLength: number;
  readonly forwardedFor: string | undefined;
  readonly expectContinue: boolean;
  readonly vetTrailers: (() => Refusal | undefined) | null;
  private readonly head: RequestHead;
  private readonly listener: HttpListenerContext;
  private block: string | undefined;

  constructor(head: RequestHead, listener: HttpListenerContext, fields: RequestFields) {
    this.method = fields.method;
    this.uri = fields.uri;
    this.path = fields.path;
    this.query = fields.query;
    this.forwardedFor = fields.forwardedFor;
    this.protocol = fields.protocol;
    this.headers = fields.headers;
    this.scheme = fields.scheme;
    this.remoteAddr = fields.remoteAddr;
    this.bodyLength = fields.bodyLength;
    this.expectContinue = head.expectContinue && fields.bodyLength !== 0;
    this.vetTrailers = fields.bodyLength === -1 ? () => vetTrailers(head.trailers()) : null;
    this.head = head;
    this.listener = listener;
  }

  get environ(): string {
    return (this.block ??= this.environBlock());
  }

  private environBlock(): string {
    const { head, listener } = this;
    let environ = 'REQUEST_METHOD\0' + this.method + '\0REQUEST_URI\0' + this.uri + '\0PATH_INFO\0' + this.path +
      '\0QUERY_STRING\0' + this.query + '\0SERVER_PROTOCOL\0' + this.protocol +
      '\0SCRIPT_NAME\0\0SERVER_NAME\0' + listener.serverName + '\0SERVER_PORT\0' + listener.serverPort;
    if (head.peerPort !== undefined) environ += '\0REMOTE_PORT\0' + head.peerPort;
    for (const [key, value] of this.headers) environ += '\0' + key + '\0' + value;
    if (head.connectionVars !== undefined) environ += head.connectionVars;
    return environ + '\0REMOTE_ADDR\0' + this.remoteAddr + '\0wsgi.url_scheme\0' + this.scheme;
  }
}

export function isRefusal(built: ParsedRequest | Refusal): built is Refusal {
  return 'answer' in built;
}

/**
 * The headers by CGI name, in the order first seen. Repeated names are joined with ", " (with "; "
 * for cookies, as RFC 6265 wants). A name with `_` is dropped: it could spoof its dashed twin.
 */
function cgiHeaders(raw: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const key = cgiHeaderName(raw[i]);
    if (key === null) continue;
    const seen = headers.get(key);
    headers.set(key, seen === undefined ? raw[i + 1] : seen + (key === 'HTTP_COOKIE' ? '; ' : ', ') + raw[i + 1]);
  }
  return headers;
}

/** `http://host/path` (absolute-form, as sent to proxies) -> `/path`. */
function absoluteFormPath(target: string): string {
  const scheme = target.indexOf('://');
  if (scheme === -1) return target;
  const slash = target.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : target.slice(slash);
}
