// The master's log: its own lines and the per-request lines, written to stderr. Lines are
// collected during one turn of the event loop and written together, synchronously, so a busy
// server makes one write() per turn instead of one per request, and lines never change order.
// The workers' stdout and stderr (tracebacks, wsgi.errors) go to the same place (logFd()).
import fs from 'node:fs';

/** stderr, or the file given to --logto / --daemonize. */
let logDescriptor = 2;
let pending: string[] = [];
let flushScheduled = false;
/** stderr is gone (EPIPE, EBADF): nobody is left to read the log, and the server must go on. */
let stderrGone = false;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Queues `text` (whole lines) for the next write. */
export function write(text: string): void {
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
