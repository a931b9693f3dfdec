// streamFile (src/router/file-stream.ts) in process, over real files, with fake ResponseWriters
// playing the client: the region byte for byte, the writer's backpressure, buffers reused only once
// the writer lets go of them, cancel (with and without a read in progress), a file shorter than
// announced and a read that fails. It never ends the response nor closes the file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { streamFile } from '../src/router/file-stream.ts';
import { nextTurn, until } from './helpers/event-loop.ts';
import { FakeWriter } from './helpers/fake-writer.ts';
import { openTempFile, type OpenTempFile } from './helpers/temp-file.ts';

const KiB = 1024;
/** The chunk size of file-stream.ts: a write is never larger. */
const CHUNK = 256 * KiB;

interface Run {
  cancel(): void;
  /** How many times done was called. */
  doneCalls(): number;
  /** Resolves with done's arguments. */
  result: Promise<{ sent: number; error: Error | null }>;
}

function run(fd: number, start: number, length: number, writer: FakeWriter): Run {
  let calls = 0;
  let resolve!: (value: { sent: number; error: Error | null }) => void;
  const result = new Promise<{ sent: number; error: Error | null }>((r) => { resolve = r; });
  const handle = streamFile(fd, start, length, writer, (sent, error) => {
    calls++;
    resolve({ sent, error });
  });
  return { cancel: () => handle.cancel(), doneCalls: () => calls, result };
}

/** What the writer was given, joined. */
function written(writer: FakeWriter): Buffer {
  return Buffer.concat(writer.calls.flatMap((c) => (c.call === 'write' ? [Buffer.from(c.chunk, 'latin1')] : [])));
}

function writes(writer: FakeWriter): number {
  return writer.calls.filter((c) => c.call === 'write').length;
}

/**
 * A slow client: each write fills its socket (write() says false) until the test drains it, and only
 * then does it let go of the chunks (their `written` callbacks). It counts the writes made while it
 * waited for a drain, and checks, as it lets go of each chunk, that the chunk's bytes did not
 * change while it held it (a buffer reused too early would).
 */
class SlowClient extends FakeWriter {
  waiting = false;
  early = 0;
  /** Chunks changed while held. */
  clobbered = 0;
  /** The distinct buffers (ArrayBuffers) chunks came in. */
  readonly buffers = new Set<ArrayBufferLike>();
  private held: Array<{ chunk: Buffer; copy: Buffer; written: () => void }> = [];

  constructor() {
    super();
    this.accepting = false;
  }

  override write(chunk: Buffer, written?: () => void): boolean {
    if (this.waiting) this.early++;
    this.buffers.add(chunk.buffer);
    if (written !== undefined) this.held.push({ chunk, copy: Buffer.from(chunk), written });
    const accepted = super.write(chunk);
    if (!accepted) this.waiting = true;
    return accepted;
  }

  /** The client takes everything: the chunks are let go of, the writer drains, and it is slow again. */
  override drain(): void {
    this.waiting = false;
    const held = this.held;
    this.held = [];
    for (const { chunk, copy, written } of held) {
      if (!chunk.equals(copy)) this.clobbered++;
      written();
    }
    super.drain();
    this.accepting = false;
  }
}

describe('streamFile', () => {
  /** Four whole chunks and a part of one. */
  const data = randomBytes(4 * CHUNK + 777);
  let dir: string;
  let fd: number;
  let opened: OpenTempFile;

  before(() => {
    opened = openTempFile('nuwsgi-file-stream-', data);
    ({ dir, fd } = opened);
  });
  after(() => opened.remove());

  it('sends the region byte for byte, in chunks of at most 256 KiB, and leaves the response and the file alone', async () => {
    const writer = new FakeWriter();
    const { result, doneCalls } = run(fd, 1000, data.length - 2000, writer);
    const { sent, error } = await result;
    assert.equal(error, null);
    assert.equal(sent, data.length - 2000);
    assert.ok(written(writer).equals(data.subarray(1000, data.length - 1000)));
    for (const c of writer.calls) {
      assert.equal(c.call, 'write', 'no head, end or abort: those are the caller\'s');
      assert.ok(c.chunk.length <= CHUNK);
    }
    assert.equal(doneCalls(), 1);
    assert.ok(fs.fstatSync(fd).isFile(), 'the file is still open');
  });

  it('writes nothing more while the writer waits for its client, and reuses a buffer only once the writer let go of it', async () => {
    const writer = new SlowClient();
    const { result, doneCalls } = run(fd, 0, data.length, writer);
    while (doneCalls() === 0) {
      await until(() => writer.waiting || doneCalls() > 0, 'the writer to be full');
      // time for the stream to read ahead, which it must keep until the drain
      for (let i = 0; i < 20; i++) await nextTurn();
      writer.drain();
    }
    const { sent, error } = await result;
    assert.equal(error, null);
    assert.equal(sent, data.length);
    assert.ok(written(writer).equals(data));
    assert.equal(writer.early, 0, 'writes while the writer waited for a drain');
    assert.equal(writer.clobbered, 0, 'chunks changed while the writer held them');
    assert.ok(writer.buffers.size <= 3, `${writer.buffers.size} buffers for ${writes(writer)} chunks`);
  });

  it('stops when cancelled: done reports it, and a later drain writes nothing', async () => {
    const writer = new SlowClient();
    const stream = run(fd, 0, data.length, writer);
    await until(() => writer.waiting, 'the first write');
    stream.cancel();
    const { sent, error } = await stream.result;
    assert.match(error?.message ?? '', /cancelled after 262144 of/);
    assert.equal(sent, CHUNK);
    writer.drain();
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(writes(writer), 1);
    assert.equal(stream.doneCalls(), 1);
  });

  it('cancelled while a read is in progress, calls done only once that read is over', async () => {
    const writer = new FakeWriter();
    const stream = run(fd, 0, data.length, writer);
    stream.cancel();
    assert.equal(stream.doneCalls(), 0, 'not while the first read is in progress');
    const { sent, error } = await stream.result;
    assert.ok(error !== null);
    assert.equal(sent, 0);
    assert.equal(writes(writer), 0);
  });

  it('reports a file shorter than announced, after sending what there was', async () => {
    const short = path.join(dir, 'short.bin');
    fs.writeFileSync(short, data.subarray(0, 100));
    const shortFd = fs.openSync(short, 'r');
    try {
      const writer = new FakeWriter();
      const { sent, error } = await run(shortFd, 0, 1000, writer).result;
      assert.equal(sent, 100);
      assert.match(error?.message ?? '', /the file ended after 100 bytes, 900 bytes short of the 1000/);
      assert.ok(written(writer).equals(data.subarray(0, 100)));
    } finally {
      fs.closeSync(shortFd);
    }
  });

  it('reports a read that fails', async () => {
    const dirFd = fs.openSync(dir, 'r');
    try {
      const { sent, error } = await run(dirFd, 0, 10, new FakeWriter()).result;
      assert.equal(sent, 0);
      assert.equal((error as NodeJS.ErrnoException | null)?.code, 'EISDIR');
    } finally {
      fs.closeSync(dirFd);
    }
  });

  it('sends nothing for an empty region, and calls done after returning', async () => {
    const writer = new FakeWriter();
    const stream = run(fd, 10, 0, writer);
    assert.equal(stream.doneCalls(), 0);
    assert.deepEqual(await stream.result, { sent: 0, error: null });
    assert.equal(writes(writer), 0);
  });
});
