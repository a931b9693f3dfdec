// The master's log: its own lines and the per-request lines, written to stderr. Lines are
// collected during one turn of the event loop and written together, synchronously, so a busy
// server makes one write() per turn instead of one per request, and lines never change order.
// The workers' stdout and stderr (tracebacks, wsgi.errors) go to the same place (logFd()).
import fs from 'node:fs';
import type { ServedRequest } from '../channel/records.ts';

/** stderr, or the file given to --logto / --daemonize. */
let logDescriptor = 2;
let pending: string[] = [];
let flushScheduled = false;
/** stderr is gone (EPIPE, EBADF): nobody is left to read the log, and the server must go on. */
let stderrGone = false;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function write(text: string): void {
  if (stderrGone) return;
  pending.push(text);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushLog);
  }
}

/** Sends the log to `file` (appended to, created 0640 if missing) from now on. Throws if it cannot be opened. */
export function logToFile(file: string): void {
  flushLog();
  logDescriptor = fs.openSync(file, 'a', 0o640);
}

/** Where the log goes, for the workers' stdout and stderr. */
export function logFd(): number {
  return logDescriptor;
}

/** A line about the server itself (startup, workers, limits). */
export function log(line: string): void {
  write(line + '\n');
}

/**
 * Writes what is pending (also right before the process exits). A full pipe (EAGAIN: stderr may be
 * non-blocking) is waited for, so a slow log reader loses no line; any other error means stderr is gone.
 */
export function flushLog(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const buf = Buffer.from(pending.join(''), 'utf8');
  pending = [];
  let offset = 0;
  while (offset < buf.length && !stderrGone) {
    try {
      offset += fs.writeSync(logDescriptor, buf, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(sleepCell, 0, 0, 5);
      else stderrGone = true;
    }
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let ctimeSecond = -1;
let ctimeText = '';

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** C's ctime() without the newline ("Tue May  9 20:14:38 2020"), cached per second: it is in every request line. */
export function ctime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== ctimeSecond) {
    const d = new Date(ms);
    const day = d.getDate();
    ctimeText = `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day < 10 ? ' ' + day : day} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${d.getFullYear()}`;
    ctimeSecond = second;
  }
  return ctimeText;
}

/** What the request log line needs to know about one finished request. */
export interface RequestRecord {
  workerPid: number;
  workerRequests: number;
  totalRequests: number;
  remoteAddr: string;
  varCount: number;
  varBytes: number;
  startedMs: number;
  /** How long it took. */
  msecs: number;
  /** The worker's core that ran it. */
  core: number;
  method: string;
  uri: string;
  protocol: string;
  status: number;
  bodyBytes: number;
  headerCount: number;
  headerBytes: number;
}

/**
 * uWSGI's default request line (core/logging.c uwsgi_logit_simple), so that log parsers written for
 * uWSGI keep working:
 * [pid: 7|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 331 bytes} [Tue May 19 20:14:38 2020] GET / => generated 13 bytes in 1 msecs (HTTP/1.1 200) 2 headers in 64 bytes (1 switches on core 0)
 */
export function logRequest(r: RequestRecord): void {
  write(
    `[pid: ${r.workerPid}|app: 0|req: ${r.workerRequests}/${r.totalRequests}] ${r.remoteAddr} () ` +
    `{${r.varCount} vars in ${r.varBytes} bytes} [${ctime(r.startedMs)}] ${r.method} ${r.uri} => ` +
    `generated ${r.bodyBytes} bytes in ${r.msecs} msecs (${r.protocol} ${r.status}) ` +
    `${r.headerCount} headers in ${r.headerBytes} bytes (1 switches on core ${r.core})\n`,
  );
}

/** The request line of a request a worker served on a uwsgi socket, from its record. */
export function logServedRequest(workerPid: number, workerRequests: number, totalRequests: number, r: ServedRequest): void {
  logRequest({
    workerPid,
    workerRequests,
    totalRequests,
    remoteAddr: r.remoteAddr,
    varCount: r.varCount,
    varBytes: r.varBytes,
    startedMs: r.startedMs,
    msecs: Math.round(r.micros / 1000),
    core: r.core,
    method: r.method,
    uri: r.uri,
    protocol: r.protocol,
    status: r.status,
    bodyBytes: r.bodyBytes,
    headerCount: r.headerCount,
    headerBytes: r.headerBytes,
  });
}
