// Helpers for the integration tests: a raw HTTP/1.x client on node:net that parses responses
// exactly as they are framed on the wire, a node:http request helper, and process probes
// (/proc/<pid>/status) for the master and the workers. No timed assertions: every wait is bounded.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningServer } from './server.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Resolves with `promise`'s value, or with null if it has not settled after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `predicate` every `intervalMs` until it is true; rejects after `timeoutMs` with `what`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition', intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Like waitFor, for a probe that gives a value once there is one (undefined until then): resolves with it. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => (value = await probe()) !== undefined, timeoutMs, what, 50);
  return value!;
}

/** A fresh temporary directory for one test file. */
export function tempDir(prefix = 'nuwsgi-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// Responses as framed on the wire

export interface RawResponse {
  httpVersion: string;
  statusCode: number;
  reason: string;
  /** Header fields in wire order, names as sent. */
  headers: Array<[string, string]>;
  /** The body after removing the chunked framing (if any). */
  body: Buffer;
  chunked: boolean;
  /** Sizes of the chunks as framed (chunked responses only). */
  chunkSizes: number[];
  /** False when the connection ended before the framing said the body was complete. */
  complete: boolean;
  /** The head as text (latin-1), up to and including the empty line. */
  headText: string;
}

export function header(r: { headers: Array<[string, string]> }, name: string): string | undefined {
  const lower = name.toLowerCase();
  return r.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function headerAll(r: { headers: Array<[string, string]> }, name: string): string[] {
  const lower = name.toLowerCase();
  return r.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Whether a `Connection` header of the response lists `token`. */
export function connectionHas(r: RawResponse, token: string): boolean {
  return headerAll(r, 'connection').some((v) => v.toLowerCase().split(',').map((s) => s.trim()).includes(token));
}

/**
 * Parses one response at the start of `buf`. Returns null when more bytes are needed. With `eof`
 * (the connection ended) a response whose head is complete is always returned, with
 * `complete: false` if its body was cut short; a body delimited by the connection's end is complete.
 * `head`: the response answers a HEAD request, so it has no body whatever its headers say.
 */
export function parseResponse(buf: Buffer, opts: { head?: boolean; eof?: boolean } = {}): { response: RawResponse; consumed: number } | null {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const headText = buf.subarray(0, headEnd + 4).toString('latin1');
  const lines = headText.slice(0, -4).split('\r\n');
  const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]!);
  if (!m) throw new Error(`not an HTTP status line: ${JSON.stringify(lines[0])} in ${JSON.stringify(buf.subarray(0, 300).toString('latin1'))}`);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const statusCode = Number(m[2]);
  const response: RawResponse = {
    httpVersion: m[1]!, statusCode, reason: m[3] ?? '', headers, body: Buffer.alloc(0),
    chunked: false, chunkSizes: [], complete: true, headText,
  };
  let pos = headEnd + 4;
  if (opts.head || (statusCode >= 100 && statusCode < 200) || statusCode === 204 || statusCode === 304) {
    return { response, consumed: pos };
  }
  const te = headerAll(response, 'transfer-encoding').join(',').toLowerCase();
  const cl = header(response, 'content-length');
  if (te.includes('chunked')) {
    response.chunked = true;
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) break;
      const sizeText = buf.subarray(pos, lineEnd).toString('latin1').split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`bad chunk size line ${JSON.stringify(sizeText)}`);
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        // trailers, then an empty line
        let tpos = lineEnd + 2;
        for (;;) {
          const tEnd = buf.indexOf('\r\n', tpos);
          if (tEnd < 0) break;
          if (tEnd === tpos) {
            response.body = Buffer.concat(parts);
            response.chunkSizes.push(0);
            return { response, consumed: tEnd + 2 };
          }
          tpos = tEnd + 2;
        }
        break;
      }
      if (buf.length < lineEnd + 2 + size + 2) {
        if (opts.eof) parts.push(buf.subarray(lineEnd + 2, Math.min(buf.length, lineEnd + 2 + size)));
        break;
      }
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      response.chunkSizes.push(size);
      if (buf.toString('latin1', lineEnd + 2 + size, lineEnd + 4 + size) !== '\r\n') throw new Error('chunk not followed by CRLF');
      pos = lineEnd + 4 + size;
    }
    if (!opts.eof) return null;
    response.body = Buffer.concat(parts);
    response.complete = false;
    return { response, consumed: buf.length };
  }
  if (cl !== undefined) {
    const length = Number(cl);
    if (buf.length - pos >= length) {
      response.body = Buffer.from(buf.subarray(pos, pos + length));
      return { response, consumed: pos + length };
    }
    if (!opts.eof) return null;
    response.body = Buffer.from(buf.subarray(pos));
    response.complete = false;
    return { response, consumed: buf.length };
  }
  // delimited by the end of the connection
  if (!opts.eof) return null;
  response.body = Buffer.from(buf.subarray(pos));
  return { response, consumed: buf.length };
}

/** Parses every response in `buf` (the whole output of a connection that has ended). */
export function parseAll(buf: Buffer, heads: boolean[] = []): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = buf;
  while (rest.length > 0) {
    const final = out.filter((r) => r.statusCode >= 200).length;
    const parsed = parseResponse(rest, { eof: true, head: heads[final] ?? false });
    if (!parsed) throw new Error(`trailing bytes that are not a response: ${JSON.stringify(rest.subarray(0, 200).toString('latin1'))}`);
    out.push(parsed.response);
    rest = rest.subarray(parsed.consumed);
  }
  return out;
}

/** A raw TCP client: write exact bytes, read responses exactly as framed. */
export class RawClient {
  readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  /** The server ended the connection (FIN, reset or error). */
  ended = false;
  /** Set when the connection ended with an error (ECONNRESET...). */
  error: Error | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => { this.buf = Buffer.concat([this.buf, chunk]); this.wake(); });
    socket.on('end', () => { this.ended = true; this.wake(); });
    socket.on('close', () => { this.ended = true; this.wake(); });
    socket.on('error', (err) => { this.error = err; this.ended = true; this.wake(); });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => { socket.removeListener('error', reject); resolve(new RawClient(socket)); });
      socket.once('error', reject);
    });
  }

  private wake() {
    for (const w of this.waiters) w();
  }

  /** Waits until `predicate` holds (checked after every event); rejects after timeoutMs. */
  private until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok: boolean;
        try {
          ok = predicate();
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (ok) { done(); resolve(); }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received so far: ` +
          JSON.stringify(this.buf.subarray(0, 500).toString('latin1')) + (this.ended ? ' (connection ended)' : '')));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  /** Bytes received and not yet consumed. */
  get pending(): Buffer {
    return this.buf;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Reads the next response (interim 1xx responses included). Rejects if the connection ends before its head. */
  async readResponse(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const box: { parsed: ReturnType<typeof parseResponse> } = { parsed: null };
    await this.until(() => {
      box.parsed = parseResponse(this.buf, { head: opts.head, eof: this.ended });
      return box.parsed !== null || this.ended;
    }, opts.timeoutMs ?? 10_000, 'a response');
    const p = box.parsed;
    if (!p) {
      throw new Error(`connection ended without a response; received: ${JSON.stringify(this.buf.subarray(0, 500).toString('latin1'))}`);
    }
    this.buf = this.buf.subarray(p.consumed);
    return p.response;
  }

  /** Reads responses, skipping interim 1xx ones, which are returned apart. */
  async readFinalResponse(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<{ interim: RawResponse[]; response: RawResponse }> {
    const interim: RawResponse[] = [];
    for (;;) {
      const r = await this.readResponse(opts);
      if (r.statusCode >= 200) return { interim, response: r };
      interim.push(r);
    }
  }

  /** Waits until at least `n` bytes (or the string `text`) have been received. */
  async waitForData(what: number | string, timeoutMs = 10_000): Promise<void> {
    await this.until(
      () => (typeof what === 'number' ? this.buf.length >= what : this.buf.includes(what)) || this.ended,
      timeoutMs, typeof what === 'number' ? `${what} bytes` : JSON.stringify(what));
  }

  /** Resolves true once the server ended the connection, false if it is still open after timeoutMs. */
  async waitEnded(timeoutMs = 10_000): Promise<boolean> {
    try {
      await this.until(() => this.ended, timeoutMs, 'the connection to end');
      return true;
    } catch {
      return false;
    }
  }

  /** Waits for the connection to end and returns every byte not consumed yet. Rejects after timeoutMs. */
  async readToEnd(timeoutMs = 10_000): Promise<Buffer> {
    await this.until(() => this.ended, timeoutMs, 'the connection to end');
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects, writes `data`, waits until the server ends the connection, returns everything received. */
export async function rawExchange(port: number, data: string | Buffer, timeoutMs = 10_000): Promise<{ data: Buffer; client: RawClient }> {
  const client = await RawClient.connect(port);
  try {
    client.write(data);
    const received = await client.readToEnd(timeoutMs);
    return { data: received, client };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------
// node:http

export interface HttpResult {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** The local port of the client socket (REMOTE_PORT on the server side). */
  localPort: number | undefined;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string | number | string[]>;
  body?: string | Buffer | AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Default: false, one connection per request. */
  agent?: http.Agent | false;
  timeoutMs?: number;
  /** Called with every chunk of the response body as it arrives (it is then not kept in `body`). */
  onData?: (chunk: Buffer, res: http.IncomingMessage) => void;
  /** For an https:// URL: the CA certificate (PEM) the server's must be signed by. */
  ca?: string | Buffer;
}

/**
 * One request with node:http (node:https for an https:// URL); rejects on a network error or
 * after timeoutMs (default 20 s).
 */
export function httpRequest(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let localPort: number | undefined;
    const request = url.startsWith('https:') ? https.request : http.request;
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false, ca: opts.ca }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (opts.onData) opts.onData(chunk, res);
        else parts.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode!, statusMessage: res.statusMessage ?? '', headers: res.headers,
          rawHeaders: res.rawHeaders, body: Buffer.concat(parts), localPort,
        });
      });
      res.on('error', (err) => { clearTimeout(timer); reject(err); });
      res.on('aborted', () => { clearTimeout(timer); reject(new Error('response aborted')); });
    });
    req.on('socket', (s) => {
      if (s.localPort) localPort = s.localPort;
      else s.once('connect', () => { localPort = s.localPort; });
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no complete response to ${opts.method ?? 'GET'} ${url} within ${opts.timeoutMs ?? 20_000} ms`));
    }, opts.timeoutMs ?? 20_000);
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    const body = opts.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      void (async () => {
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', () => r()));
          }
          req.end();
        } catch (err) {
          req.destroy(err as Error);
        }
      })();
    }
  });
}

/** What test/fixtureapps/echo.py answers. */
export interface Echo {
  method: string;
  path: string;
  query: string;
  body: string | null;
  body_len: number;
  body_sha256: string;
  reads: number;
  cgi: Record<string, string>;
  wsgi: Record<string, { type: string; value: unknown; inner_type?: string; callable?: boolean }>;
  pid: number;
}

export function json<T>(body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new Error(`not JSON: ${JSON.stringify(body.subarray(0, 1000).toString('latin1'))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface WorkerInfo { id: number; pid: number }

/**
 * Every worker the server says it started, in order: `spawned worker N (pid: P, cores: C)` lines
 * (uWSGI's `spawned uWSGI worker ...` too) and uWSGI-style `Respawned uWSGI worker N (new pid: P)`.
 */
export function workerPids(output: string): WorkerInfo[] {
  const out: WorkerInfo[] = [];
  for (const m of output.matchAll(/(?:spawned (?:uWSGI )?worker (\d+) \(pid: (\d+)|Respawned (?:uWSGI )?worker (\d+) \(new pid: (\d+))/g)) {
    out.push({ id: Number(m[1] ?? m[3]), pid: Number(m[2] ?? m[4]) });
  }
  return out;
}

function procStatus(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const status = procStatus(pid);
  if (status === undefined) return false;
  const state = /^State:\s+(\S)/m.exec(status)?.[1];
  return state !== 'Z' && state !== 'X';
}

/** VmRSS of `pid` in bytes, or undefined if it is gone. */
export function rssBytes(pid: number): number | undefined {
  const status = procStatus(pid);
  const m = status && /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The parent of `pid` (from /proc/PID/status), or undefined if it is gone. */
export function parentPid(pid: number): number | undefined {
  const status = procStatus(pid);
  const ppid = status === undefined ? undefined : /^PPid:\s+(\d+)/m.exec(status)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/** RSS and PSS of `pid` in bytes (/proc/PID/smaps_rollup), or undefined if it is gone. */
export function residentAndProportional(pid: number): { rss: number; pss: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('Rss'), pss: kb('Pss') };
}

/** Every zygote the server says it started, in order (`spawned the zygote (pid: P)`). */
export function zygotePids(output: string): number[] {
  return [...output.matchAll(/spawned the zygote \(pid: (\d+)\)/g)].map((m) => Number(m[1]));
}

/** Samples the RSS of `pids` every `intervalMs` until stopped; reports the peak of each. */
export function rssSampler(pids: number[], intervalMs = 20): { stop(): Map<number, number> } {
  const peak = new Map<number, number>();
  const sample = () => {
    for (const pid of pids) {
      const rss = rssBytes(pid);
      if (rss !== undefined && rss > (peak.get(pid) ?? 0)) peak.set(pid, rss);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/**
 * Stops a server started by startServer: SIGTERM, then SIGKILL if it has not exited after
 * `timeoutMs`; then SIGKILL to any of its own workers and zygotes (pids from its output) still alive
 * after 5 s, so that a broken server cannot leave Python processes behind.
 */
export async function stopServer(server: RunningServer | undefined, timeoutMs = 15_000): Promise<void> {
  if (!server) return;
  const pids = [...workerPids(server.output()).map((w) => w.pid), ...zygotePids(server.output())];
  const result = await within(server.stop('SIGTERM'), timeoutMs);
  if (result === null) await server.stop('SIGKILL');
  try {
    await waitFor(() => pids.every((p) => !isAlive(p)), 5_000, 'the workers to exit');
  } catch {
    for (const p of pids) {
      if (isAlive(p)) {
        try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Known payloads, generated the same way as in the fixture apps

/** bytes(range(256)) repeated to `size` bytes (filewrapper.py /bytesio, write_callable.py /write_large). */
export function byteRangePattern(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = i & 0xff;
  return out;
}

/** The blocks of streaming.py /download?bytes=total, lazily. */
export function* downloadBlocks(total: number): Generator<Buffer> {
  const base = byteRangePattern(65536);
  let sent = 0;
  for (let k = 0; sent < total; k++) {
    const block = Buffer.from(base);
    block.writeBigUInt64BE(BigInt(k), 0);
    const piece = block.subarray(0, Math.min(65536, total - sent));
    sent += piece.length;
    yield piece;
  }
}

/** sha256 of streaming.py /download?bytes=total. */
export function downloadSha256(total: number): string {
  const h = createHash('sha256');
  for (const block of downloadBlocks(total)) h.update(block);
  return h.digest('hex');
}
