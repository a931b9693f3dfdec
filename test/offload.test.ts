// wsgi.file_wrapper over a regular file on an HTTP listener: the worker hands the file to the master
// (RESPONSE_FILE, docs/channel.md "Files"), which sends it while the worker takes its next request.
// The offload fixture app runs every request through wsgiref.validate. Covered: whole files and
// regions byte for byte with their Content-Length, a single worker answering while a slow client is
// still downloading, a client that goes away mid-download (the master closes its descriptor of
// the file and goes on), a file unlinked after the app opened it, file-likes without a descriptor,
// the request log line counting the bytes the master sent, the threaded and gevent workers, and a
// graceful shutdown that waits for a download the master is still sending.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { byteRangePattern, downloadBlocks, downloadSha256, httpRequest, sha256, stopServer, tempDir, waitFor } from './helpers/wire.ts';

const MiB = 1024 * 1024;
const app = path.join(fixtureApps, 'offload.py');

interface Download {
  /** The response head, once it came. */
  head: Promise<{ status: number; headers: Map<string, string> }>;
  /** Resolves once the whole body (its Content-Length) came: its size and sha256. */
  complete: Promise<{ bytes: number; sha256: string }>;
  /** Body bytes received so far. */
  received(): number;
  resume(): void;
  destroy(): void;
}

/**
 * A GET of `uri` on a connection of its own whose body is hashed as it comes, without being kept.
 * With `pauseAfter`, it stops reading once it has that many body bytes, as a slow client: the rest
 * waits in the server until resume().
 */
function download(port: number, uri: string, pauseAfter = Infinity): Download {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const hash = createHash('sha256');
  let head: Buffer | null = Buffer.alloc(0);
  let length = -1;
  let received = 0;
  let resolveHead!: (head: { status: number; headers: Map<string, string> }) => void;
  let resolveComplete!: (result: { bytes: number; sha256: string }) => void;
  let fail!: (err: Error) => void;
  const headPromise = new Promise<{ status: number; headers: Map<string, string> }>((resolve) => { resolveHead = resolve; });
  const complete = new Promise<{ bytes: number; sha256: string }>((resolve, reject) => { resolveComplete = resolve; fail = reject; });
  const takeBody = (chunk: Buffer): void => {
    received += chunk.length;
    hash.update(chunk);
    if (received >= pauseAfter) {
      pauseAfter = Infinity; // once: resume() lets the rest come
      socket.pause();
    }
    if (received === length) {
      resolveComplete({ bytes: received, sha256: hash.digest('hex') });
      socket.destroy();
    }
  };
  socket.on('data', (chunk: Buffer) => {
    if (head === null) {
      takeBody(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) return;
    const lines = head.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map(lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
    }));
    length = Number(headers.get('content-length') ?? -1);
    const rest = head.subarray(end + 4);
    head = null;
    resolveHead({ status: Number(lines[0].split(' ')[1]), headers });
    if (rest.length > 0) takeBody(rest);
  });
  socket.on('error', (err) => fail(err));
  socket.on('close', () => fail(new Error(`the connection closed after ${received} of ${length} body bytes`)));
  socket.write(`GET ${uri} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  return {
    head: headPromise,
    complete,
    received: () => received,
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
}

/** What the master's descriptors link to (/proc/<pid>/fd). */
function descriptorsOf(pid: number): string[] {
  const links: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      links.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed while it was listed
    }
  }
  return links;
}

/** Whether the master has `file` open. */
function holds(pid: number, file: string): boolean {
  return descriptorsOf(pid).some((link) => link === file || link === `${file} (deleted)`);
}

/** A file of `size` bytes made of streaming.py's /download blocks (each numbered), so that any misplaced block shows. */
function writeNumberedFile(file: string, size: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const block of downloadBlocks(size)) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

const fileUri = (file: string, query = '') => `/file?path=${encodeURIComponent(file)}${query}`;

/** A whole file, and a region after the position the app seeked to, each byte for byte with its Content-Length. */
async function wholeAndRegion(server: RunningServer, file: string, content: Buffer): Promise<void> {
  const whole = await httpRequest(`${server.url}${fileUri(file, '&cl=1&id=whole')}`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-length'], String(content.length));
  assert.equal(sha256(whole.body), sha256(content));
  const offset = 1_234_567;
  const length = 3 * MiB + 1;
  const region = await httpRequest(`${server.url}${fileUri(file, `&offset=${offset}&length=${length}&id=region`)}`);
  assert.equal(region.status, 200);
  assert.equal(region.headers['content-length'], String(length));
  assert.ok(region.body.equals(content.subarray(offset, offset + length)));
}

describe('wsgi.file_wrapper on an HTTP listener, sent by the master', () => {
  const dir = tempDir('nuwsgi-offload-');
  const content = randomBytes(8 * MiB);
  const file = path.join(dir, 'payload.bin');
  let server: RunningServer;

  before(async () => {
    fs.writeFileSync(file, content);
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1']);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a whole file and a region of one byte for byte, and the log line counts their bytes', async () => {
    await wholeAndRegion(server, file, content);
    await server.waitForOutput(/GET \/file\?path=\S+&cl=1&id=whole => generated 8388608 bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
    await server.waitForOutput(/GET \/file\?\S+&id=region => generated 3145729 bytes/);
    assert.doesNotMatch(server.output(), /the worker sends such files itself/);
  });

  it('sends a file without a Content-Length chunked', async () => {
    const r = await httpRequest(`${server.url}${fileUri(file, '&offset=5')}`);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.ok(r.body.equals(content.subarray(5)));
  });

  it('iterates a file-like without a descriptor (BytesIO), and a FileWrapper hidden by wsgiref.validate', async () => {
    const r = await httpRequest(`${server.url}/bytesio?size=1000003`);
    assert.equal(r.headers['content-length'], '1000003');
    assert.ok(r.body.equals(byteRangePattern(1_000_003)));
    const validated = await httpRequest(`${server.url}/validated${fileUri(file, '&cl=1')}`);
    assert.equal(sha256(validated.body), sha256(content));
  });

  it('sends them from a threaded worker', async (t) => {
    const threaded = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1', '--threads', '2']);
    t.after(() => stopServer(threaded));
    await wholeAndRegion(threaded, file, content);
  });

  it('sends them from a gevent worker', async (t) => {
    if (!(await needPythonModule(t, 'gevent', 'python3-gevent'))) return;
    const venv = await systemVenv(t);
    if (venv === undefined) return;
    const gevent = await startServer(['--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', app, '-p', '1', '--gevent', '4']);
    t.after(() => stopServer(gevent));
    await wholeAndRegion(gevent, file, content);
  });
});

describe('the worker goes on while the master sends its file (--processes 1)', () => {
  const dir = tempDir('nuwsgi-offload-slow-');
  const size = 64 * MiB;
  const big = path.join(dir, 'big.bin');
  let server: RunningServer;

  before(async () => {
    writeNumberedFile(big, size);
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--processes', '1']);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a second request while a slow client is still downloading a file from the only worker', async () => {
    const slow = download(server.port, fileUri(big, '&cl=1&id=slow'), MiB);
    const head = await slow.head;
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(size));
    await waitFor(() => slow.received() >= MiB, 10_000, 'the first MiB');
    // the worker closed its file (the app's close()) and is free: the master holds the file and sends it
    await server.waitForOutput(/offload_app slow closed\n/);
    const hello = await httpRequest(`${server.url}/hello`, { timeoutMs: 10_000 });
    assert.match(hello.body.toString(), /^hello from \d+$/);
    assert.ok(slow.received() < size, 'the download is still going on');
    assert.ok(holds(server.pid, big), 'the master has the file open');
    slow.resume();
    const done = await slow.complete;
    assert.deepEqual(done, { bytes: size, sha256: downloadSha256(size) });
    await server.waitForOutput(/GET \/file\?\S+&id=slow => generated 67108864 bytes/);
  });

  it('goes on after a client that goes away mid-download, and closes its descriptor of the file', async () => {
    const fdsBefore = descriptorsOf(server.pid).length;
    const gone = download(server.port, fileUri(big, '&cl=1&id=gone'), MiB);
    gone.complete.catch(() => { /* it is destroyed below */ });
    await waitFor(() => gone.received() >= MiB, 10_000, 'the first MiB');
    assert.ok(holds(server.pid, big), 'the master has the file open');
    gone.destroy();
    await waitFor(() => !holds(server.pid, big), 10_000, 'the master to close the file');
    await waitFor(() => descriptorsOf(server.pid).length <= fdsBefore, 10_000, 'the master\'s descriptors to return to their number');
    const next = await httpRequest(`${server.url}${fileUri(big, '&offset=1000&length=100000')}`);
    assert.equal(next.status, 200);
    assert.ok(next.body.equals(Buffer.concat([...downloadBlocks(size)].slice(0, 2)).subarray(1000, 101_000)));
    assert.match((await httpRequest(`${server.url}/hello`)).body.toString(), /^hello from/);
  });

  it('sends a file unlinked after the app opened it', async () => {
    const doomed = path.join(dir, 'doomed.bin');
    const content = randomBytes(5 * MiB + 3);
    fs.writeFileSync(doomed, content);
    const r = await httpRequest(`${server.url}/unlinked?path=${encodeURIComponent(doomed)}&id=doomed`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(content.length));
    assert.equal(sha256(r.body), sha256(content));
    assert.equal(fs.existsSync(doomed), false);
    await waitFor(() => !holds(server.pid, doomed), 10_000, 'the master to close the unlinked file');
  });
});

describe('a graceful shutdown while the master sends a file', () => {
  const dir = tempDir('nuwsgi-offload-stop-');
  const size = 64 * MiB;
  const big = path.join(dir, 'big.bin');

  before(() => writeNumberedFile(big, size));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts it among the requests to finish, lets it finish, then exits 0', async (t) => {
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--processes', '1']);
    t.after(() => stopServer(server));
    const slow = download(server.port, fileUri(big, '&cl=1&id=stop'), MiB);
    await waitFor(() => slow.received() >= MiB, 10_000, 'the first MiB');
    await server.waitForOutput(/offload_app stop closed\n/);
    server.proc.kill('SIGTERM');
    await server.waitForOutput(/graceful shutdown \(1 requests to finish/);
    assert.equal(server.proc.exitCode, null, 'the master waits for the download');
    slow.resume();
    assert.deepEqual(await slow.complete, { bytes: size, sha256: downloadSha256(size) });
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.match(server.output(), /GET \/file\?\S+&id=stop => generated 67108864 bytes/);
  });
});
