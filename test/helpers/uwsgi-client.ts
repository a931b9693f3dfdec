// A small uwsgi-protocol client for the tests: builds request packets the way nginx's uwsgi module
// does (reference: uwsgi.md §1.9), sends them over TCP or a unix socket, and reads the raw HTTP
// response, which ends when the server closes the connection.
import net from 'node:net';
import type { RunningServer } from './server.ts';
import { parseResponse, type RawResponse } from './wire.ts';

export type Vars = ReadonlyArray<readonly [string, string | Buffer]>;

/** TCP (`{ port }`), a unix socket (`{ path }`) or an abstract one (`{ path: '\0name' }`). */
export type UwsgiTarget = { port: number; host?: string } | { path: string };

/** The vars block: u16 LE key length, key, u16 LE value length, value; keys and values latin-1. */
export function encodeVars(vars: Vars): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of vars) {
    const k = Buffer.from(key, 'latin1');
    const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    const lengths = Buffer.alloc(2);
    lengths.writeUInt16LE(k.length);
    parts.push(lengths, k);
    const valueLength = Buffer.alloc(2);
    valueLength.writeUInt16LE(v.length);
    parts.push(valueLength, v);
  }
  return Buffer.concat(parts);
}

/** The 4-byte header (modifier1, u16 LE datasize, modifier2) and the vars block. */
export function encodePacket(vars: Vars, modifier1 = 0, modifier2 = 0): Buffer {
  const block = encodeVars(vars);
  const header = Buffer.from([modifier1, block.length & 0xff, block.length >> 8, modifier2]);
  return Buffer.concat([header, block]);
}

export interface NginxRequest {
  method?: string;
  /** The request target as the client sent it (REQUEST_URI). */
  uri?: string;
  /** Client headers in order, as nginx forwards them (HTTP_*), Content-Type and Content-Length included. */
  headers?: ReadonlyArray<readonly [string, string]>;
  contentType?: string;
  contentLength?: number;
  /** A request nginx received over TLS: REQUEST_SCHEME https and HTTPS on. */
  https?: boolean;
  remoteAddr?: string;
  remotePort?: number;
  serverPort?: number;
  serverName?: string;
}

/**
 * The vars nginx sends with `include uwsgi_params;` (its conf/uwsgi_params, in file order), then
 * every client header as HTTP_* (nginx does not leave out Content-Type and Content-Length).
 */
export function nginxVars(request: NginxRequest = {}): Array<[string, string]> {
  const uri = request.uri ?? '/';
  const q = uri.indexOf('?');
  const path = q === -1 ? uri : uri.slice(0, q);
  const vars: Array<[string, string]> = [
    ['QUERY_STRING', q === -1 ? '' : uri.slice(q + 1)],
    ['REQUEST_METHOD', request.method ?? 'GET'],
    ['CONTENT_TYPE', request.contentType ?? ''],
    ['CONTENT_LENGTH', request.contentLength === undefined ? '' : String(request.contentLength)],
    ['REQUEST_URI', uri],
    ['PATH_INFO', decodeURIComponent(path)],
    ['DOCUMENT_ROOT', '/usr/share/nginx/html'],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['REQUEST_SCHEME', request.https ? 'https' : 'http'],
  ];
  if (request.https) vars.push(['HTTPS', 'on']);
  vars.push(
    ['REMOTE_ADDR', request.remoteAddr ?? '127.0.0.1'],
    ['REMOTE_PORT', String(request.remotePort ?? 51234)],
    ['SERVER_PORT', String(request.serverPort ?? 80)],
    ['SERVER_NAME', request.serverName ?? 'example.com'],
  );
  for (const [name, value] of request.headers ?? [['Host', 'example.com']]) {
    vars.push([`HTTP_${name.toUpperCase().replaceAll('-', '_')}`, value]);
  }
  return vars;
}

export function connect(target: UwsgiTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target as net.NetConnectOpts);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export interface Received {
  /** Everything the server sent before the connection ended. */
  data: Buffer;
  /** The connection ended with an error (ECONNRESET when the server reset it). */
  error: Error | undefined;
}

/**
 * Sends `chunks` (written one by one, in order), then shuts down the sending side when `halfClose`
 * is set, and resolves with what the server sent once it ended the connection. Rejects after
 * timeoutMs if the server keeps the connection open.
 */
export async function exchange(target: UwsgiTarget, chunks: ReadonlyArray<Buffer | string>,
  options: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<Received> {
  const socket = await connect(target);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let error: Error | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${options.timeoutMs ?? 10_000} ms; received: ` +
        JSON.stringify(Buffer.concat(parts).subarray(0, 300).toString('latin1'))));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('error', (err) => { error = err; });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(parts), error });
    });
    for (const chunk of chunks) socket.write(chunk);
    if (options.halfClose) socket.end();
  });
}

/** Sends a request (packet, then body) and parses the response, which ends with the connection. */
export async function uwsgiRequest(target: UwsgiTarget, vars: Vars, body: Buffer | string = '',
  options: { timeoutMs?: number } = {}): Promise<RawResponse> {
  const packet = encodePacket(vars);
  const { data, error } = await exchange(target, body.length === 0 ? [packet] : [packet, body], options);
  const parsed = parseResponse(data, { eof: true });
  if (parsed === null) {
    throw new Error(`no response (${error?.message ?? 'connection closed'}); received: ${JSON.stringify(data.subarray(0, 300).toString('latin1'))}`);
  }
  return parsed.response;
}

/** The address of the `n`th `uwsgi listening on ADDR` line of a server's log, as a target. */
export function uwsgiTarget(server: RunningServer, n = 0): UwsgiTarget {
  const lines = [...server.output().matchAll(/uwsgi listening on ([^\s"]+)/g)];
  const address = lines[n]?.[1];
  if (address === undefined) throw new Error(`no uwsgi listener #${n} in the log:\n${server.output()}`);
  if (address.startsWith('@')) return { path: '\0' + address.slice(1) };
  const colon = address.lastIndexOf(':');
  if (colon === -1) return { path: address };
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}
