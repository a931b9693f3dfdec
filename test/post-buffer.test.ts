// post-buffering's body buffer, in process: a body up to the threshold stays in memory, a larger
// one goes to an unlinked temporary file, the bytes come back the same, limit-post stops it
// (TOO_LARGE), a source that breaks off rejects with BodyBrokenOff, and the file's descriptor is
// released when the returned stream is destroyed. Linux: the descriptors are read from /proc/self/fd.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { BodyBrokenOff, bufferBody, TOO_LARGE } from '../src/router/post-buffer.ts';
import { until } from './helpers/event-loop.ts';

/** The temporary files go to a directory of this test's own (os.tmpdir() reads TMPDIR). */
let tmpdir = '';
let savedTmpdir: string | undefined;

before(() => {
  savedTmpdir = process.env.TMPDIR;
  tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'post-buffer-test-'));
  process.env.TMPDIR = tmpdir;
});

after(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmpdir, { recursive: true, force: true });
});

/** The descriptors this process holds open on files in the test's temporary directory. */
function openTemporaryFiles(): string[] {
  const targets: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(tmpdir + path.sep)) targets.push(target);
    } catch {
      // the descriptor closed while the list was read (the one readdirSync used, among others)
    }
  }
  return targets;
}

/** A source that delivers `chunks`, then ends. */
function source(...chunks: Buffer[]): PassThrough {
  const stream = new PassThrough();
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return stream;
}

/** The stream bufferBody returned, which must not be TOO_LARGE. */
function buffered(body: Readable | typeof TOO_LARGE): Readable {
  assert.notEqual(body, TOO_LARGE);
  return body as Readable;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function closed(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.once('close', () => resolve());
  });
}

describe('post-buffering', () => {
  it('keeps a body up to the threshold in memory', async () => {
    const body = buffered(await bufferBody(source(Buffer.from('hello '), Buffer.from('world')), { memoryLimit: 11, maxBytes: 0 }));
    assert.equal(body instanceof fs.ReadStream, false);
    assert.deepEqual(openTemporaryFiles(), []);
    assert.deepEqual(fs.readdirSync(tmpdir), []);
    assert.equal(await text(body), 'hello world');
  });

  it('spills a body above the threshold to a temporary file that has no name', async () => {
    const body = buffered(await bufferBody(source(Buffer.from('hello '), Buffer.from('world!')), { memoryLimit: 11, maxBytes: 0 }));
    assert.ok(body instanceof fs.ReadStream, 'a stream over a file');
    const open = openTemporaryFiles();
    assert.equal(open.length, 1, 'one descriptor on a temporary file');
    assert.match(open[0]!, / \(deleted\)$/, 'the file is unlinked');
    assert.deepEqual(fs.readdirSync(tmpdir), [], 'no name is left behind');
    assert.equal(await text(body), 'hello world!');
    await closed(body);
    assert.deepEqual(openTemporaryFiles(), [], 'reading it to its end releases the file');
  });

  it('gives back the same bytes, from memory and from the file', async () => {
    const data = randomBytes(700 * 1024);
    const chunks = [data.subarray(0, 1), data.subarray(1, 65536), data.subarray(65536, 300000), data.subarray(300000)];
    for (const memoryLimit of [data.length, 1024]) {
      const body = buffered(await bufferBody(source(...chunks), { memoryLimit, maxBytes: 0 }));
      assert.ok((await bytesOf(body)).equals(data), `memoryLimit ${memoryLimit}`);
    }
  });

  it('gives an empty body back empty', async () => {
    const body = buffered(await bufferBody(source(), { memoryLimit: 1024, maxBytes: 100 }));
    assert.equal((await bytesOf(body)).length, 0);
  });

  describe('limit-post', () => {
    it('lets a body of exactly maxBytes through', async () => {
      const body = buffered(await bufferBody(source(Buffer.alloc(60), Buffer.alloc(40)), { memoryLimit: 1024, maxBytes: 100 }));
      assert.equal((await bytesOf(body)).length, 100);
    });

    it('stops a body in memory past maxBytes: TOO_LARGE', async () => {
      assert.equal(await bufferBody(source(Buffer.alloc(60), Buffer.alloc(41)), { memoryLimit: 1024, maxBytes: 100 }), TOO_LARGE);
    });

    it('stops a body in a file past maxBytes, and releases the file', async () => {
      const input = new PassThrough();
      const result = bufferBody(input, { memoryLimit: 1024, maxBytes: 100 * 1024 });
      input.write(Buffer.alloc(50 * 1024));
      await until(() => openTemporaryFiles().length === 1, 'the body never spilled to a file');
      input.write(Buffer.alloc(51 * 1024));
      assert.equal(await result, TOO_LARGE);
      await until(() => openTemporaryFiles().length === 0, 'the temporary file was never closed');
      input.destroy();
    });
  });

  describe('a source that breaks off', () => {
    it('rejects with BodyBrokenOff when it errors', async () => {
      const input = new PassThrough();
      const result = bufferBody(input, { memoryLimit: 1024, maxBytes: 0 });
      input.write(Buffer.from('partial'));
      input.destroy(new Error('connection reset'));
      await assert.rejects(result, BodyBrokenOff);
    });

    it('rejects with BodyBrokenOff when it closes before its end', async () => {
      const input = new Readable({ read() {} });
      const result = bufferBody(input, { memoryLimit: 1024, maxBytes: 0 });
      input.push(Buffer.from('partial'));
      input.destroy();
      await assert.rejects(result, BodyBrokenOff);
    });

    it('rejects with BodyBrokenOff once part of it was spilled, and releases the file', async () => {
      const input = new PassThrough();
      const result = bufferBody(input, { memoryLimit: 16, maxBytes: 0 });
      input.write(Buffer.alloc(64 * 1024));
      await until(() => openTemporaryFiles().length === 1, 'the body never spilled to a file');
      input.destroy();
      await assert.rejects(result, BodyBrokenOff);
      await until(() => openTemporaryFiles().length === 0, 'the temporary file was never closed');
    });
  });

  it('releases the file when the returned stream is destroyed before it is read', async () => {
    const body = buffered(await bufferBody(source(Buffer.alloc(4096)), { memoryLimit: 1024, maxBytes: 0 }));
    assert.equal(openTemporaryFiles().length, 1);
    body.destroy();
    await closed(body);
    assert.deepEqual(openTemporaryFiles(), []);
  });
});
