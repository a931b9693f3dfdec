// post-buffering: the master receives a whole request body before the request goes to a worker,
// so that a slow upload never occupies one. Bodies up to the threshold stay in memory; a larger one
// spills to a temporary file in os.tmpdir() (TMPDIR). The file is unlinked as soon as it is
// created, as tmpfile() does for uWSGI: its name never outlives the moment, and its space is freed
// when the descriptor closes, which happens when the returned stream ends or is destroyed, and on
// every failure here.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

/** Read size of the stream over a spilled body. */
const FILE_CHUNK = 64 * 1024;

let spillCount = 0;

/** The body grew past `maxBytes` (limit-post) while it was being received. */
export const TOO_LARGE = Symbol('too large');

/** The source ended before the body was complete: the client went away, or sent a broken body. */
export class BodyBrokenOff extends Error {}

export interface BufferOptions {
  /** post-buffering: bodies larger than this go to a temporary file. */
  memoryLimit: number;
  /** limit-post: receiving stops past this many bytes; 0 for no limit. */
  maxBytes: number;
}

/**
 * Receives all of `source`, then returns a stream over the same bytes (destroy it to release the
 * file), or TOO_LARGE. Rejects with BodyBrokenOff when the source breaks off, or with the reason
 * the temporary file cannot be written.
 */
export function bufferBody(source: Readable, options: BufferOptions): Promise<Readable | typeof TOO_LARGE> {
  return new BodyBuffer(source, options).done;
}

class BodyBuffer {
  readonly done: Promise<Readable | typeof TOO_LARGE>;
  private resolve!: (body: Readable | typeof TOO_LARGE) => void;
  private reject!: (err: Error) => void;
  private readonly source: Readable;
  private readonly options: BufferOptions;
  private chunks: Buffer[] = [];
  private received = 0;
  private file: fs.FileHandle | null = null;
  /** The write in progress to the file (the source is paused meanwhile). */
  private writing: Promise<void> | null = null;
  private settled = false;

  constructor(source: Readable, options: BufferOptions) {
    this.source = source;
    this.options = options;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    source.on('data', this.onData);
    source.once('end', this.onEnd);
    source.once('error', this.onBroken);
    source.once('close', this.onBroken);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.settled) return;
    this.received += chunk.length;
    const { maxBytes, memoryLimit } = this.options;
    if (maxBytes > 0 && this.received > maxBytes) {
      this.finish(TOO_LARGE);
      return;
    }
    this.chunks.push(chunk);
    if (this.file === null && this.received <= memoryLimit) return;
    this.source.pause();
    this.writing = this.flushToFile().then(() => {
      this.writing = null;
      if (!this.settled) this.source.resume();
    }, (err: Error) => this.fail(new Error(`post-buffering: cannot write the request body to a temporary file in ${os.tmpdir()}: ${err.message}`)));
  };

  private readonly onEnd = (): void => {
    void (this.writing ?? Promise.resolve()).then(() => {
      if (this.settled) return;
      if (this.file === null) {
        this.finish(Readable.from(this.chunks, { objectMode: false }));
        return;
      }
      const file = this.file;
      this.file = null; // the stream owns it now
      this.finish(file.createReadStream({ start: 0, highWaterMark: FILE_CHUNK }));
    });
  };

  /** An error, or a close before the end: the body will never be complete. */
  private readonly onBroken = (): void => {
    if (this.source.readableEnded) return;
    this.fail(new BodyBrokenOff('the request body broke off before its end'));
  };

  /** Appends what is held in memory to the file, creating it the first time. */
  private async flushToFile(): Promise<void> {
    if (this.file === null) {
      const name = path.join(os.tmpdir(), `nuwsgi-body-${process.pid}-${++spillCount}`);
      this.file = await fs.open(name, 'wx+', 0o600);
      await fs.unlink(name);
    }
    const chunks = this.chunks;
    this.chunks = [];
    await this.file.writev(chunks);
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    this.closeFile();
    this.reject(err);
  }

  private finish(result: Readable | typeof TOO_LARGE): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    if (result === TOO_LARGE) this.closeFile();
    this.resolve(result);
  }

  private detach(): void {
    this.chunks = [];
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onBroken);
    this.source.off('close', this.onBroken);
  }

  private closeFile(): void {
    const pending = this.writing ?? Promise.resolve();
    const close = (): void => {
      const file = this.file;
      this.file = null;
      void file?.close().catch(() => {});
    };
    // a write in progress still uses the handle: close it once that write is over
    void pending.then(close, close);
  }
}
