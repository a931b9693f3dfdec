// wsgi.file_wrapper on a uwsgi socket, where the worker writes the response itself: a regular file
// goes out with os.sendfile() (the sendfile_probe app's file counts its read() calls: the server
// never makes one), byte for byte, up to a declared Content-Length; any other file-like object is
// iterated. And PEP 3333's close() of the app's result when nginx goes away mid-response.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { connect, encodePacket, nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';
import { byteRangePattern, header, sha256, stopServer, tempDir, waitFor } from './helpers/wire.ts';
import { useCloseTracking } from './helpers/close-tracking.ts';

/**
 * A uwsgi request whose response the test reads as it comes, and can abandon (destroy) midway.
 * With `pauseAfter`, it stops reading once it has that many bytes, as a stalled nginx would: the
 * rest of the response then waits in the server.
 */
async function openStream(target: UwsgiTarget, uri: string, pauseAfter = Infinity) {
  const socket: net.Socket = await connect(target);
  let received = Buffer.alloc(0);
  let ended = false;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (received.length >= pauseAfter) socket.pause();
  });
  socket.on('error', () => { /* the destroy below, or the server resetting */ });
  socket.on('close', () => { ended = true; });
  socket.write(encodePacket(nginxVars({ uri })));
  return {
    socket,
    received: () => received,
    ended: () => ended,
    waitForBytes: (n: number, timeoutMs = 10_000) =>
      waitFor(() => received.length >= n || ended, timeoutMs, `${n} bytes of the response`),
  };
}

function bodyOf(data: Buffer): { head: string; body: Buffer } {
  const end = data.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no response head: ${JSON.stringify(data.subarray(0, 200).toString('latin1'))}`);
  return { head: data.subarray(0, end + 4).toString('latin1'), body: data.subarray(end + 4) };
}

describe('wsgi.file_wrapper over a uwsgi socket (sendfile_probe app)', () => {
  const dir = tempDir();
  // a few hundred KiB that are not a multiple of any block size
  const content = randomBytes(300 * 1024 + 4_321);
  const file = path.join(dir, 'payload.bin');
  const bigFile = path.join(dir, 'big.bin');
  const bigSize = 48 * 1024 * 1024;
  let server: RunningServer;
  let target: UwsgiTarget;

  before(async () => {
    fs.writeFileSync(file, content);
    // sparse: reads as zeros, costs no disk
    fs.writeFileSync(bigFile, '');
    fs.truncateSync(bigFile, bigSize);
    server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'sendfile_probe.py'), '-p', '1']);
    target = uwsgiTarget(server);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The probe's line for request `id`: how many read() calls the file got, and how many bytes they returned. */
  async function reads(id: string): Promise<{ calls: number; bytes: number }> {
    const m = await server.waitForOutput(new RegExp(`sendfile_probe ${id} closed: (\\d+) read\\(\\) calls, (\\d+) bytes read\\n`));
    return { calls: Number(m[1]), bytes: Number(m[2]) };
  }
  const fileUri = (id: string, extra = '') => `/file?path=${encodeURIComponent(file)}&id=${id}${extra}`;

  it('sends the whole file byte for byte with sendfile(): the file is never read', async () => {
    const r = await uwsgiRequest(target, nginxVars({ uri: fileUri('whole') }), '', { timeoutMs: 20_000 });
    assert.equal(r.statusCode, 200);
    assert.equal(header(r, 'content-length'), undefined, 'the app declared none and the worker adds none');
    assert.equal(r.body.length, content.length);
    assert.equal(sha256(r.body), sha256(content));
    assert.deepEqual(await reads('whole'), { calls: 0, bytes: 0 });
    await server.waitForOutput(new RegExp(`GET /file\\?[^\\n]*id=whole => generated ${content.length} bytes in \\d+ msecs \\(HTTP/1\\.1 200\\)`));
  });

  it('with the file\'s size as Content-Length: the same bytes, the header as the app gave it', async () => {
    const r = await uwsgiRequest(target, nginxVars({ uri: fileUri('full', '&cl=full') }), '', { timeoutMs: 20_000 });
    assert.equal(r.statusCode, 200);
    assert.equal(header(r, 'content-length'), String(content.length));
    assert.equal(r.complete, true);
    assert.equal(sha256(r.body), sha256(content));
    assert.deepEqual(await reads('full'), { calls: 0, bytes: 0 });
  });

  it('honours a declared Content-Length shorter than the file: only that many bytes go out', async () => {
    const length = 100_003;
    const socket = await openStream(target, fileUri('short', `&cl=${length}`));
    await waitFor(socket.ended, 20_000, 'the end of the response');
    const { head, body } = bodyOf(socket.received());
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, new RegExp(`\\r\\nContent-Length: ${length}\\r\\n`));
    // the connection's end is the response's end: not one byte past the declared length
    assert.equal(body.length, length);
    assert.ok(body.equals(content.subarray(0, length)), 'the first bytes of the file');
    assert.deepEqual(await reads('short'), { calls: 0, bytes: 0 });
    assert.doesNotMatch(server.output(), /declared Content-Length/, 'no warning: the worker sent exactly what was declared');
  });

  it('control: through wsgiref.validate the server only sees an iterator, and the counter counts its reads', async () => {
    const r = await uwsgiRequest(target, nginxVars({ uri: fileUri('validated', '&validate=1&blksize=16384') }), '', { timeoutMs: 20_000 });
    assert.equal(r.statusCode, 200);
    assert.equal(sha256(r.body), sha256(content));
    const counted = await reads('validated');
    assert.equal(counted.bytes, content.length);
    // 16 KiB blocks, then the empty read that ends the iteration
    assert.equal(counted.calls, Math.ceil(content.length / 16384) + 1);
  });

  for (const cl of [false, true]) {
    it(`an io.BytesIO (no fileno()) is iterated, byte for byte${cl ? ', with a Content-Length' : ''}`, async () => {
      const size = 250_000;
      const id = `bytesio${cl ? '-cl' : ''}`;
      const r = await uwsgiRequest(target, nginxVars({ uri: `/bytesio?size=${size}&id=${id}&blksize=10000${cl ? '&cl=1' : ''}` }), '',
        { timeoutMs: 20_000 });
      assert.equal(r.statusCode, 200);
      assert.equal(header(r, 'content-length'), cl ? String(size) : undefined);
      assert.equal(r.complete, true);
      assert.ok(r.body.equals(byteRangePattern(size)), `got ${r.body.length} bytes`);
      assert.deepEqual(await reads(id), { calls: size / 10_000 + 1, bytes: size });
    });
  }

  it('calls close() when nginx goes away during sendfile(), and the worker serves the next request', async () => {
    const socket = await openStream(target, `/file?path=${encodeURIComponent(bigFile)}&id=abandoned&cl=full`, 256 * 1024);
    await socket.waitForBytes(256 * 1024, 20_000);
    assert.equal(socket.ended(), false, 'the 48 MiB response cannot be over yet');
    socket.socket.destroy();
    assert.deepEqual(await reads('abandoned'), { calls: 0, bytes: 0 });
    const r = await uwsgiRequest(target, nginxVars({ uri: fileUri('after-abandoned') }), '', { timeoutMs: 20_000 });
    assert.equal(sha256(r.body), sha256(content));
    assert.deepEqual(await reads('after-abandoned'), { calls: 0, bytes: 0 });
  });

  it('the log line of a sendfile() response nginx abandoned counts the bytes that did go out', async () => {
    const socket = await openStream(target, `/file?path=${encodeURIComponent(bigFile)}&id=cut-short&cl=full`, 256 * 1024);
    await socket.waitForBytes(256 * 1024, 20_000);
    assert.equal(socket.ended(), false, 'the 48 MiB response cannot be over yet');
    const receivedBody = bodyOf(socket.received()).body.length;
    socket.socket.destroy();
    const m = await server.waitForOutput(/GET \/file\?[^\n]*id=cut-short[^\n]* => generated (\d+) bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
    const logged = Number(m[1]);
    assert.ok(logged < bigSize, `the log claims ${logged} bytes: the whole file`);
    assert.ok(logged >= receivedBody, `the log says ${logged} bytes were generated; the client had already received ${receivedBody} bytes of the body`);
  });
});

describe('close() of the response iterable over a uwsgi socket (close_tracking app)', () => {
  const { server: running, tracked, waitClosed, q } = useCloseTracking(['--socket', '127.0.0.1:0']);
  const target = () => uwsgiTarget(running());

  it('calls close() after a normal response', async () => {
    const r = await uwsgiRequest(target(), nginxVars({ uri: q('normal', '&chunks=3&size=10') }));
    assert.equal(r.statusCode, 200);
    assert.equal(r.body.toString(), 'x'.repeat(30));
    await waitClosed('normal');
    assert.match(tracked(), /^normal closed after 3 chunks$/m);
  });

  it('calls close() when the peer goes away in the middle of a long stream, and the worker is free again', async () => {
    // 100000 chunks of 1 KiB, 10 ms apart: about 17 minutes if nobody stops it.
    const stream = await openStream(target(), q('gone', '&chunks=100000&size=1024&sleep=10'));
    await stream.waitForBytes(8192, 10_000);
    assert.equal(stream.ended(), false);
    stream.socket.destroy();
    await waitClosed('gone');
    const chunks = Number(/^gone closed after (\d+) chunks$/m.exec(tracked())?.[1]);
    assert.ok(chunks >= 8 && chunks < 100_000, `closed after ${chunks} chunks`);
    const r = await uwsgiRequest(target(), nginxVars({ uri: q('after-gone') }), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
    await waitClosed('after-gone');
  });

  it('calls close() when the peer goes away while the app is between two chunks', async () => {
    // the first chunk is sent at once; the second only after 2 s: the peer leaves in between.
    const stream = await openStream(target(), q('early', '&chunks=2&size=10&sleep=2000'));
    await waitFor(() => tracked().includes('early called'), 10_000, 'the app to be called');
    await stream.waitForBytes(10, 10_000);
    stream.socket.destroy();
    await waitClosed('early');
    assert.match(tracked(), /^early closed after [12] chunks$/m);
  });

  it('calls close() when the peer resets the connection (RST) mid-response', async () => {
    // 50 chunks of 100 kB, 200 ms apart
    const stream = await openStream(target(), q('reset', '&chunks=50&size=100000&sleep=200'));
    await stream.waitForBytes(1, 10_000);
    stream.socket.resetAndDestroy();
    await waitClosed('reset', 20_000);
    const r = await uwsgiRequest(target(), nginxVars({ uri: q('after-reset') }), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
  });

  it('calls close() exactly once per request', async () => {
    await uwsgiRequest(target(), nginxVars({ uri: q('once') }));
    await waitClosed('once');
    await uwsgiRequest(target(), nginxVars({ uri: q('once-marker') }));
    await waitClosed('once-marker');
    for (const id of ['normal', 'gone', 'early', 'reset', 'once']) {
      const lines = tracked().split('\n').filter((l) => l.startsWith(`${id} closed`));
      assert.equal(lines.length, 1, `${id}:\n${tracked()}`);
    }
  });
});
