// The master's log: its own lines and the per-request lines, written to stderr. Lines are
// collected for a few milliseconds (or until 64 KiB are waiting) and written together,
// synchronously, so a busy server makes a few hundred write()s a second instead of one per request
// or per turn of the event loop, and lines never change order.
// The workers' stdout and stderr (tracebacks, wsgi.errors) come through the master to the same place
// (master/worker-output.ts), so that only the master has the file open and reopenLog() covers them.
import fs from 'node:fs';
import { cachedPerTick, strftime } from './strftime.ts';

/** stderr, or the file given to --logto / --daemonize. */
let logDescriptor = 2;
/** The file logDescriptor is open on, for reopenLog(); undefined for stderr. */
let logFile: string | undefined;
/** log-encoder json: the master's lines as objects. */
let jsonLines = false;
/** log-date / log-prefix: what starts each of the master's lines, or null. */
let linePrefix: ((ms: number) => string) | null = null;
/** How long a line may wait for others to be written with it. */
const FLUSH_DELAY_MS = 5;
/** What may wait before it is written at once. */
const FLUSH_BYTES = 64 * 1024;
let pending: string[] = [];
let pendingLength = 0;
let flushTimer: NodeJS.Timeout | null = null;
/** stderr is gone (EPIPE, EBADF): nobody is left to read the log, and the server must go on. */
let stderrGone = false;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Queues `text` (whole lines) for the next write. */
export function write(text: string): void {
  if (stderrGone) return;
  pending.push(text);
  pendingLength += text.length;
  if (pendingLength >= FLUSH_BYTES) flushLog();
  else if (flushTimer === null) flushTimer = setTimeout(flushLog, FLUSH_DELAY_MS);
}

/** Sends the log to `file` (appended to, created 0640 if missing) from now on. Throws if it cannot be opened. */
export function logToFile(file: string): void {
  flushLog();
  const previous = logDescriptor;
  logDescriptor = fs.openSync(file, 'a', 0o640);
  logFile = file;
  stderrGone = false;
  if (previous > 2) fs.closeSync(previous);
}

/**
 * Opens the log file again (master-fifo `l`/`L`, SIGHUP), so that a file logrotate renamed is let go
 * and the name written anew. The workers write through the master, so they need not know. Nothing
 * to do when logging to stderr. Returns the problem, if the file cannot be opened (the old one stays).
 */
export function reopenLog(): string | undefined {
  if (logFile === undefined) return undefined;
  try {
    logToFile(logFile);
  } catch (err) {
    return `cannot reopen the log file ${logFile}: ${(err as Error).message}`;
  }
  return undefined;
}

/** How the master's own lines are written: as JSON objects, and after which prefix (log-date, log-prefix). */
export function configureMasterLines(options: { json: boolean; prefix: ((ms: number) => string) | null }): void {
  jsonLines = options.json;
  linePrefix = options.prefix;
}

/** Whether lines are JSON objects (log-encoder json). */
export function jsonLog(): boolean {
  return jsonLines;
}

/** A line about the server itself (startup, workers, limits). */
export function log(line: string): void {
  if (jsonLines) write(JSON.stringify({ type: 'log', time: new Date().toISOString(), pid: process.pid, msg: line }) + '\n');
  else if (linePrefix !== null) write(linePrefix(Date.now()) + line + '\n');
  else write(line + '\n');
}

/** A JSON object of its own line (log-encoder json): a request, an event, a worker's output. */
export function logObject(object: Record<string, unknown>): void {
  write(JSON.stringify(object) + '\n');
}

/**
 * Writes what is pending (also right before the process exits). A full pipe (EAGAIN: stderr may be
 * non-blocking) is waited for, so a slow log reader loses no line; any other error means stderr is gone.
 */
export function flushLog(): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  if (pending.length === 0 || stderrGone) return;
  const text = pending.join('');
  pending = [];
  pendingLength = 0;
  // The string goes to write() as it is, which spares a Buffer per flush; only a write cut short
  // (a full pipe) needs the bytes, to go on from where it stopped.
  let offset = 0;
  try {
    offset = fs.writeSync(logDescriptor, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') stderrGone = true;
  }
  if (offset === Buffer.byteLength(text, 'utf8')) return;
  const buf = Buffer.from(text, 'utf8');
  while (offset < buf.length && !stderrGone) {
    try {
      offset += fs.writeSync(logDescriptor, buf, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(sleepCell, 0, 0, 5);
      else stderrGone = true;
    }
  }
}

/** C's ctime() without the newline ("Tue May  9 20:14:38 2020"), cached per second: it is in every request line. */
export const ctime = cachedPerTick(1000, (ms) => strftime('%c', ms));
