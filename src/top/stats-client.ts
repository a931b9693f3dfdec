// Reading a stats server as uwsgitop does: connect, read until the server closes, parse the JSON.
// The address takes the forms of `--stats`: HOST:PORT, :PORT (this machine), a unix socket path,
// @name (a Linux abstract socket), and http://HOST:PORT for a stats-http server, which is sent a
// GET and answers with an HTTP head before the document. Works with nuwsgi's stats server and
// uWSGI's. A reply is bounded in size and in time, so a wrong address cannot hang or fill memory.
import net from 'node:net';
import { parseSocketAddress } from '../listeners/address.ts';

export type StatsTarget =
  | { kind: 'tcp'; host: string; port: number; http: boolean; label: string }
  | { kind: 'unix'; path: string; http: boolean; label: string };

export const MAX_REPLY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Throws with the expected form. The address forms are the listeners' (parseSocketAddress), plus http://. */
export function parseStatsTarget(spec: string): StatsTarget {
  if (/^https:/i.test(spec)) throw new Error(`'${spec}': the stats server speaks plain HTTP, not HTTPS`);
  const http = /^http:\/\//i.test(spec);
  const address = parseSocketAddress(http ? spec.replace(/^http:\/\//i, '').replace(/\/$/, '') : spec);
  if (address.kind === 'abstract') return { kind: 'unix', path: '\0' + address.name, http, label: spec };
  if (address.kind === 'unix') {
    if (http) throw new Error(`'${spec}' has no valid HOST:PORT (expected http://HOST:PORT)`);
    return { kind: 'unix', path: address.path, http, label: spec };
  }
  if (address.port === 0) throw new Error(`'${spec}' has no valid port (expected a port from 1 to 65535)`);
  // `:9191`, `0.0.0.0:9191` and `[::]:9191` are servers on every interface: read them on this machine.
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return { kind: 'tcp', host, port: address.port, http, label: spec };
}

export interface FetchOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

/** The reply, until EOF; rejects with an Error whose message is the system's code (ECONNREFUSED...) or what went wrong. */
export function readReply(target: StatsTarget, options: FetchOptions = {}): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? MAX_REPLY_BYTES;
  return new Promise((resolve, reject) => {
    const socket = target.kind === 'tcp' ? net.connect(target.port, target.host) : net.connect(target.path);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve(Buffer.concat(chunks));
      else reject(error);
    };
    const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.on('connect', () => {
      if (target.http) socket.write(`GET / HTTP/1.0\r\nHost: ${target.kind === 'tcp' ? target.host : 'localhost'}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(new Error(`the answer is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => finish(undefined));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(new Error(err.code ?? err.message)));
  });
}

/** The stats document of the server at `target`. */
export async function fetchStats(target: StatsTarget, options: FetchOptions = {}): Promise<unknown> {
  let text = (await readReply(target, options)).toString('utf8');
  if (target.http) text = httpBody(text);
  if (text.trim() === '') throw new Error('the server closed without sending anything (is it a stats server?)');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the answer is not JSON (is it a stats server? for stats-http, write http://HOST:PORT)');
  }
}

/** The body of an HTTP answer; throws unless it is a 200. */
export function httpBody(answer: string): string {
  const end = answer.indexOf('\r\n\r\n');
  const separator = end === -1 ? answer.indexOf('\n\n') : end;
  if (separator === -1) throw new Error('the answer has no HTTP head (is it a stats-http server?)');
  const statusLine = answer.slice(0, answer.indexOf('\n')).trim();
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
  if (status === null) throw new Error('the answer is not HTTP (for a plain stats server, leave out http://)');
  if (status[1] !== '200') throw new Error(`the server answered ${statusLine.slice(9)}`);
  return answer.slice(separator + (end === -1 ? 2 : 4));
}
