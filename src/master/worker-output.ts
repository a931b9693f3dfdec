// The workers' stdout and stderr (tracebacks, print(), wsgi.errors) come to the master through
// pipes, which it writes to its log whole line by whole line: so a reopened log file (logrotate)
// gets the workers' lines too, and with log-encoder json each line becomes an object.
import type { Readable } from 'node:stream';
import { jsonLog, logObject, write } from '../observe/log.ts';

/** A line longer than this without a newline is written in pieces. */
const MAX_PARTIAL = 64 * 1024;
/** How long a worker's exit waits for the rest of its output. */
const DRAIN_MS = 250;

/** Writes the lines of a worker's stdout or stderr (a pipe, or a forked worker's socket) to the log. */
export function relayWorkerOutput(stream: Readable | null, slot: number, pid: number, name: 'stdout' | 'stderr'): void {
  if (stream === null) return;
  let partial = '';
  const emit = (lines: string): void => {
    if (!jsonLog()) {
      write(lines);
      return;
    }
    const time = new Date().toISOString();
    let start = 0;
    for (let end = lines.indexOf('\n'); end !== -1; start = end + 1, end = lines.indexOf('\n', start)) {
      logObject({ type: 'worker-output', time, pid, worker: slot, stream: name, msg: lines.slice(start, end) });
    }
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = partial + chunk;
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      partial = text;
      if (partial.length > MAX_PARTIAL) {
        emit(partial + '\n');
        partial = '';
      }
      return;
    }
    partial = text.slice(end + 1);
    emit(text.slice(0, end + 1));
  });
  stream.on('end', () => {
    if (partial !== '') emit(partial + '\n');
    partial = '';
  });
  stream.on('error', () => {});
}

/** Calls `then` once the worker's output streams are closed (its last lines logged), or after DRAIN_MS. */
export function afterOutput(streams: ReadonlyArray<Readable | null>, then: () => void): void {
  const open = streams.filter((s): s is Readable => s !== null && !s.destroyed && !s.readableEnded);
  if (open.length === 0) {
    then();
    return;
  }
  let left = open.length;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    then();
  };
  const timer = setTimeout(finish, DRAIN_MS);
  for (const stream of open) stream.once('close', () => { if (--left === 0) finish(); });
}
