// Sends a region of an open file through a ResponseWriter, with the writer's backpressure: one
// chunk is read ahead while the client takes the one before, and nothing more, so the memory a
// download holds is bounded whatever the file's size. The chunks' buffers are reused once the
// writer lets go of them, so a long download makes no garbage (which the process would otherwise
// keep as resident memory until a collection). It knows nothing of where the file came from (a
// worker's descriptor, a static file) nor of the response around it: the caller writes the head,
// ends or aborts the response, and closes the file.
import fs from 'node:fs';
import type { ResponseWriter } from '../listeners/request.ts';

/** The most bytes one read takes: the size of a stream's buffers. */
const CHUNK = 256 * 1024;
/** Buffers a stream keeps for reuse: the one the writer is sending, and the one read ahead. */
const SPARE_BUFFERS = 2;

/**
 * Sends `length` bytes of the open file `fd` from `start` through `writer`, then calls `done`.
 *
 * `done(sent, error)` is called once: with a null error when all `length` bytes were handed to the
 * writer; with an error when the file ended first (it is shorter than announced), a read failed, or
 * cancel() was called. `sent` is how many bytes were handed to the writer. It is never called while
 * a read of `fd` is still in progress, so the caller may close `fd` in it (and only then). A stream
 * cancelled while no read is in progress calls it from cancel().
 */
export function streamFile(fd: number, start: number, length: number, writer: ResponseWriter,
  done: (sent: number, error: Error | null) => void): { cancel(): void } {
  /** Bytes read from the file so far, and handed to the writer. */
  let read = 0;
  let sent = 0;
  /** A chunk read ahead while the writer waits for its client. */
  let held: Buffer | null = null;
  let reading = false;
  let waitingDrain = false;
  let cancelled = false;
  let finished = false;
  /** Buffers the writer let go of, for the next reads; all of one size, no larger than the region. */
  const spare: Buffer[] = [];
  const size = Math.min(CHUNK, length);

  const finish = (error: Error | null): void => {
    if (finished) return;
    finished = true;
    held = null;
    spare.length = 0;
    done(sent, error);
  };

  const step = (): void => {
    if (finished) return;
    if (cancelled) {
      if (!reading) finish(new Error(`cancelled after ${sent} of ${length} bytes`));
      return;
    }
    if (held !== null && !waitingDrain) {
      const chunk = held;
      held = null;
      sent += chunk.length;
      if (!writer.write(chunk, () => reuse(chunk))) {
        waitingDrain = true;
        writer.onDrain(onDrain);
      }
    }
    if (sent === length) {
      finish(null);
      return;
    }
    if (!reading && held === null && read < length) readNext();
  };

  const onDrain = (): void => {
    waitingDrain = false;
    step();
  };

  const reuse = (chunk: Buffer): void => {
    if (!finished && spare.length < SPARE_BUFFERS) spare.push(Buffer.from(chunk.buffer, chunk.byteOffset, size));
  };

  const readNext = (): void => {
    reading = true;
    const want = Math.min(CHUNK, length - read);
    const buffer = spare.pop() ?? Buffer.allocUnsafe(size);
    fs.read(fd, buffer, 0, want, start + read, (err, n) => {
      reading = false;
      if (cancelled || finished) {
        step();
        return;
      }
      if (err !== null) {
        finish(err);
        return;
      }
      if (n === 0) {
        finish(new Error(`the file ended after ${start + read} bytes, ${length - read} bytes short of the ${length} to send from offset ${start}`));
        return;
      }
      read += n;
      held = n === buffer.length ? buffer : buffer.subarray(0, n);
      step();
    });
  };

  if (length === 0) process.nextTick(step);
  else step();
  return {
    cancel(): void {
      if (cancelled || finished) return;
      cancelled = true;
      step();
    },
  };
}
