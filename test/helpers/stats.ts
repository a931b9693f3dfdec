// Reading a stats server as uwsgitop does: connect, read until EOF, parse; and the shape of a
// stats document (its keys, in order, and the JSON type of each value), for comparing documents.
import net from 'node:net';

export type StatsTarget = { port: number; host?: string } | { path: string };

/** Everything the server writes before it closes (after `send`, for stats-http). */
export function readUntilEof(target: StatsTarget, send = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => { if (send !== '') socket.write(send); });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** The document of a stats server; with `http`, of one with stats-http, asked with a GET. */
export async function readStats(target: StatsTarget, http = false): Promise<StatsDocument> {
  if (!http) return JSON.parse(await readUntilEof(target)) as StatsDocument;
  const answer = await readUntilEof(target, 'GET / HTTP/1.0\r\n\r\n');
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as StatsDocument;
}

export interface StatsDocument {
  [key: string]: unknown;
  workers: StatsWorker[];
  sockets: Array<Record<string, unknown>>;
}

export interface StatsWorker {
  [key: string]: unknown;
  id: number;
  pid: number;
  requests: number;
  status: string;
  exceptions: number;
  respawn_count: number;
  cores: Array<Record<string, unknown> & { in_request: number; requests: number; req_info: Record<string, number> }>;
}

/** `int`, `string`, `[shape of the first element]`, or `{key: shape, ...}` in key order. */
export function shapeOf(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'string';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : [shapeOf(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return String(value);
}

/** The stats server's address from the master's log line. */
export function statsTargetFrom(output: string): StatsTarget {
  const m = /stats server(?: \(HTTP\))? listening on (\S+)/.exec(output);
  if (m === null) throw new Error(`no stats server line in:\n${output}`);
  const tcp = /^(.*):(\d+)$/.exec(m[1]);
  return tcp === null ? { path: m[1].startsWith('@') ? '\0' + m[1].slice(1) : m[1] } : { port: Number(tcp[2]), host: tcp[1] };
}
