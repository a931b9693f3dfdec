// A file the worker hands over (RESPONSE_FILE), in process: an exchange on a fake carrier whose pid
// is the test's own, so that the master opens, through /proc, a descriptor the test holds, as it
// opens a worker's. The answer (FILE_TAKEN), the worker free at its end while the file is still
// going out, the response ended (and the request done) once it has, the files the master cannot
// send, the client going away, the worker aborting or dying meanwhile, a file that shrinks, and
// the router's whenIdle() waiting for the file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dispatcher } from '../src/router/dispatcher.ts';
import { Exchange } from '../src/router/exchange.ts';
import { FileOffloads } from '../src/router/offload.ts';
import { Router } from '../src/router/router.ts';
import { hasSettled, nextTurn, until } from './helpers/event-loop.ts';
import { FakeCarrier, type SentFrame } from './helpers/fake-carrier.ts';
import { FakeWriter } from './helpers/fake-writer.ts';
import { parsedRequest } from './helpers/parsed-request.ts';
import { openTempFile, type OpenTempFile } from './helpers/temp-file.ts';

const MiB = 1024 * 1024;

function start(offloads = new FileOffloads()) {
  const carrier = new FakeCarrier(process.pid);
  const writer = new FakeWriter();
  let done = 0;
  const exchange = new Exchange(parsedRequest({ uri: '/download' }), writer, null, () => done++, offloads);
  carrier.assign(exchange);
  return { carrier, writer, exchange, offloads, id: carrier.assigned[0]!.id, doneCount: () => done };
}

/** The master's FILE_TAKEN for request `id`, once it was sent. */
async function fileTaken(carrier: FakeCarrier, id: number): Promise<boolean> {
  const answer = (): SentFrame | undefined => carrier.sentFor(id).find((frame) => frame.type === 'file-taken');
  await until(() => answer() !== undefined, 'FILE_TAKEN');
  const frame = answer()!;
  assert.equal(frame.type, 'file-taken');
  return frame.type === 'file-taken' && frame.taken;
}

function body(writer: FakeWriter): Buffer {
  const parts: Buffer[] = [];
  for (const c of writer.calls) {
    if (c.call === 'write') parts.push(Buffer.from(c.chunk, 'latin1'));
    if (c.call === 'end' && c.last !== null) parts.push(Buffer.from(c.last, 'latin1'));
  }
  return Buffer.concat(parts);
}

/** Resolves once the first chunk of the file went to the writer. */
function firstWrite(writer: FakeWriter): Promise<void> {
  return until(() => writer.callNames.includes('write'), 'the first chunk of the file');
}

/** The descriptors this process has open. */
/** This process's descriptors of `file` (other descriptors open and close meanwhile under a loaded test run). */
function descriptorsOf(file: string): number {
  let count = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === file) count++;
    } catch {
      // closed while being listed
    }
  }
  return count;
}

describe('a file the worker hands over', () => {
  const data = randomBytes(3 * MiB + 12_345);
  let dir: string;
  let fd: number;
  let opened: OpenTempFile;

  before(() => {
    opened = openTempFile('nuwsgi-offload-exchange-', data);
    ({ dir, fd } = opened);
  });
  after(() => opened.remove());

  it('is taken; the worker is free at its end, and the response ends (and is done) once the file is sent', async () => {
    const { carrier, writer, exchange, id, doneCount } = start();
    writer.accepting = false;
    carrier.head(id, '200 OK', ['Content-Length', String(data.length)]);
    carrier.file(id, fd, 0, data.length);
    assert.equal(await fileTaken(carrier, id), true);
    await firstWrite(writer);
    assert.deepEqual(writer.callNames, ['head', 'write']);
    carrier.end(id);
    assert.equal(carrier.inflight.size, 0, 'the worker is free');
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(doneCount(), 0, 'not done while the file is being sent');
    assert.ok(!writer.callNames.includes('end'));
    writer.drain();
    await until(() => doneCount() === 1, 'the request to be done');
    assert.equal(writer.callNames.at(-1), 'end');
    assert.ok(body(writer).equals(data));
    assert.equal(exchange.describe().bodyBytes, data.length);
  });

  it('sends the region asked for', async () => {
    const { carrier, writer, exchange, id, doneCount } = start();
    carrier.head(id, '206 Partial Content', ['Content-Length', '500000']);
    carrier.file(id, fd, 1_234_567, 500_000);
    assert.equal(await fileTaken(carrier, id), true);
    carrier.end(id);
    await until(() => doneCount() === 1, 'the request to be done');
    assert.ok(body(writer).equals(data.subarray(1_234_567, 1_234_567 + 500_000)));
    assert.equal(exchange.describe().bodyBytes, 500_000);
  });

  it('that the master cannot open is refused, and the body frames the worker then sends go out', async () => {
    const { carrier, writer, exchange, id, doneCount } = start();
    carrier.head(id, '200 OK');
    carrier.file(id, 1_000_000, 0, 10);
    assert.equal(await fileTaken(carrier, id), false);
    carrier.body(id, Buffer.from('the worker sent it'));
    carrier.end(id);
    assert.equal(doneCount(), 1);
    assert.equal(body(writer).toString(), 'the worker sent it');
    assert.equal(exchange.describe().bodyBytes, 18);
  });

  it('with fewer bytes than announced is refused before anything of it goes out', async () => {
    const { carrier, writer, id } = start();
    carrier.head(id, '200 OK');
    carrier.file(id, fd, data.length - 10, 11);
    assert.equal(await fileTaken(carrier, id), false);
    assert.ok(!writer.callNames.includes('write'));
  });

  it('stops when the client goes away after the worker ended, closing the master\'s descriptor', async () => {
    // the test's own descriptor of the file, once the master's of the tests before are closed
    await until(() => descriptorsOf(opened.file) === 1, 'the descriptors of the tests before to be closed');
    const before = 1;
    const { carrier, writer, exchange, id, doneCount } = start();
    writer.accepting = false;
    carrier.head(id, '200 OK');
    carrier.file(id, fd, 0, data.length);
    assert.equal(await fileTaken(carrier, id), true);
    await firstWrite(writer);
    assert.equal(descriptorsOf(opened.file), before + 1, 'the master opened its own descriptor of the file');
    carrier.end(id);
    writer.clientGone();
    await until(() => doneCount() === 1, 'the request to be done');
    await until(() => descriptorsOf(opened.file) === before, 'the master\'s descriptor of the file to be closed');
    writer.drain();
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(writer.calls.filter((c) => c.call === 'write').length, 1);
    assert.ok(!writer.callNames.includes('end'));
    assert.ok(exchange.describe().bodyBytes < data.length);
    assert.equal(doneCount(), 1);
  });

  it('is cut short when the worker aborts the response meanwhile', async () => {
    const { carrier, writer, id, doneCount } = start();
    writer.accepting = false;
    carrier.head(id, '200 OK', ['Content-Length', String(data.length + 1)]);
    carrier.file(id, fd, 0, data.length);
    assert.equal(await fileTaken(carrier, id), true);
    await firstWrite(writer);
    carrier.abort(id, 'the app sent fewer bytes than its Content-Length');
    assert.equal(writer.callNames.at(-1), 'abort');
    assert.equal(doneCount(), 1);
    writer.drain();
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(writer.calls.filter((c) => c.call === 'write').length, 1);
    assert.equal(doneCount(), 1);
  });

  it('is cut short when the worker dies before its end', async () => {
    const { carrier, writer, id, doneCount } = start();
    writer.accepting = false;
    carrier.head(id, '200 OK');
    carrier.file(id, fd, 0, data.length);
    assert.equal(await fileTaken(carrier, id), true);
    await firstWrite(writer);
    carrier.die();
    assert.equal(writer.callNames.at(-1), 'abort');
    assert.equal(doneCount(), 1);
    writer.drain();
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(doneCount(), 1);
    assert.ok(!writer.callNames.includes('end'));
  });

  it('is cut short when it shrinks while it is sent', async () => {
    const shrinking = path.join(dir, 'shrinking.bin');
    fs.writeFileSync(shrinking, data);
    const shrinkingFd = fs.openSync(shrinking, 'r');
    try {
      const { carrier, writer, exchange, id, doneCount } = start();
      writer.accepting = false;
      carrier.head(id, '200 OK', ['Content-Length', String(data.length)]);
      carrier.file(id, shrinkingFd, 0, data.length);
      assert.equal(await fileTaken(carrier, id), true);
      await firstWrite(writer);
      carrier.end(id);
      fs.truncateSync(shrinking, 100_000);
      writer.drain();
      await until(() => doneCount() === 1, 'the request to be done');
      assert.equal(writer.callNames.at(-1), 'abort');
      assert.ok(!writer.callNames.includes('end'));
      assert.ok(exchange.describe().bodyBytes < data.length);
    } finally {
      fs.closeSync(shrinkingFd);
    }
  });

  it('keeps the router from being idle until it is sent', async () => {
    const carrier = new FakeCarrier(process.pid);
    const dispatcher = new Dispatcher();
    dispatcher.addWorker(carrier);
    const router = new Router(dispatcher, { limitPost: 0, postBuffering: 0 });
    const writer = new FakeWriter();
    writer.accepting = false;
    router.handle(parsedRequest({ uri: '/download' }), writer, null);
    const id = carrier.assigned[0]!.id;
    carrier.head(id, '200 OK');
    carrier.file(id, fd, 0, data.length);
    assert.equal(await fileTaken(carrier, id), true);
    carrier.end(id);
    assert.equal(dispatcher.inflight, 0);
    const idle = router.whenIdle();
    assert.equal(await hasSettled(idle), false);
    assert.equal(router.sendingFiles, 1);
    writer.drain();
    await idle;
    assert.equal(router.sendingFiles, 0);
    assert.equal(router.total, 1);
  });
});
