// Sends a region of an open file through a ResponseWriter with backpressure, in bounded chunks.
import fs from 'node:fs';
import type { ResponseWriter } from '../listeners/request.ts';

const CHUNK = 256 * 1024;

/** Sends `length` bytes of the open file `fd` from `start` through `writer`, then calls `done`. */
export function streamFile(fd: number, start: number, length: number, writer: ResponseWriter,
  done: (sent: number, error: Error | null) => void): { cancel(): void } {
  let sent = 0;
  let cancelled = false;
  const next = (): void => {
    if (cancelled) return;
    if (sent >= length) {
      done(sent, null);
      return;
    }
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, length - sent));
    fs.read(fd, buffer, 0, buffer.length, start + sent, (err, n) => {
      if (cancelled) return;
      if (err !== null || n === 0) {
        done(sent, err ?? new Error(`the file ended after ${sent} of ${length} bytes`));
        return;
      }
      sent += n;
      if (writer.write(n === buffer.length ? buffer : buffer.subarray(0, n))) next();
      else writer.onDrain(next);
    });
  };
  next();
  return { cancel: () => { cancelled = true; } };
}
