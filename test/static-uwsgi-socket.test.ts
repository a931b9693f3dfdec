// Static files on a uwsgi socket, served by the worker itself before any app runs: raw uwsgi
// packets to a real nuwsgi with --uwsgi-socket on a unix socket and --static-map. A 3 MiB file
// arrives byte for byte (sent with os.sendfile), a Range as 206, a revalidation as 304, HEAD with
// no body, a traversal refused 403 with its log line, a dot file 404 with none; add-header on the
// file's and the app's heads but not on the answers; each request in the master's request log; a
// peer that stops reading given up after socket-timeout; and the app never
// called for what a static mount answered (static_fallback.py lists the paths it saw).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import etag from 'etag';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { connect, encodePacket, exchange, nginxVars, uwsgiRequest, type UwsgiTarget } from './helpers/uwsgi-client.ts';
import { header, parseResponse, sha256, stopServer, tempDir, waitFor } from './helpers/wire.ts';

describe('static files on a uwsgi socket', () => {
  const dir = tempDir();
  const root = path.join(dir, 'static');
  const big = randomBytes(3 * 1024 * 1024);
  const bigFile = path.join(root, 'big.bin');
  const socketPath = path.join(dir, 'app.sock');
  const target: UwsgiTarget = { path: socketPath };
  let server: RunningServer;

  const get = (uri: string, headers: Array<[string, string]> = [], method = 'GET') =>
    uwsgiRequest(target, nginxVars({ method, uri, headers: [['Host', 'example.com'], ...headers] }), '', { timeoutMs: 20_000 });
  const seenByApp = async () => JSON.parse((await get('/__seen')).body.toString()) as string[];

  before(async () => {
    fs.mkdirSync(root);
    fs.writeFileSync(bigFile, big);
    fs.writeFileSync(path.join(root, 'hello.txt'), 'hello\n');
    fs.writeFileSync(path.join(root, '.env'), 'SECRET=1\n');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the mount\n');
    // sparse: reads as zeros, costs no disk
    fs.writeFileSync(path.join(root, 'huge.bin'), '');
    fs.truncateSync(path.join(root, 'huge.bin'), 256 * 1024 * 1024);
    server = await startServer([
      '--uwsgi-socket', socketPath, '--static-map', `/static=${root}`, '--add-header', 'X-Static-Test: yes',
      '--socket-timeout', '1',
      '--wsgi-file', path.join(fixtureApps, 'static_fallback.py'), '-p', '1',
    ]);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a 3 MiB file byte for byte, with the stat ETag, Last-Modified and add-header', async () => {
    const r = await get('/static/big.bin');
    assert.equal(r.statusCode, 200);
    assert.equal(r.reason, 'OK');
    assert.equal(r.body.length, big.length);
    assert.equal(sha256(r.body), sha256(big));
    const stat = fs.statSync(bigFile);
    assert.equal(header(r, 'content-length'), String(big.length));
    assert.equal(header(r, 'content-type'), 'application/octet-stream');
    assert.equal(header(r, 'etag'), etag(stat));
    assert.equal(header(r, 'last-modified'), stat.mtime.toUTCString());
    assert.equal(header(r, 'accept-ranges'), 'bytes');
    assert.equal(header(r, 'x-static-test'), 'yes');
    await server.waitForOutput(/GET \/static\/big\.bin => generated 3145728 bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
  });

  it('answers a Range with 206 and that part of the file', async () => {
    const r = await get('/static/big.bin', [['Range', 'bytes=1000000-1999999']]);
    assert.equal(r.statusCode, 206);
    assert.equal(r.reason, 'Partial Content');
    assert.equal(header(r, 'content-range'), `bytes 1000000-1999999/${big.length}`);
    assert.equal(header(r, 'content-length'), '1000000');
    assert.ok(r.body.equals(big.subarray(1_000_000, 2_000_000)));
    const beyond = await get('/static/big.bin', [['Range', `bytes=${big.length}-`]]);
    assert.equal(beyond.statusCode, 416);
    assert.equal(header(beyond, 'content-range'), `bytes */${big.length}`);
    assert.equal(header(beyond, 'x-static-test'), undefined, 'add-header is not on the answers');
  });

  it('answers a revalidation with 304 and no body', async () => {
    const first = await get('/static/hello.txt');
    assert.equal(first.body.toString(), 'hello\n');
    const r = await get('/static/hello.txt', [['If-None-Match', header(first, 'etag')!]]);
    assert.equal(r.statusCode, 304);
    assert.equal(r.reason, 'Not Modified');
    assert.equal(r.body.length, 0);
    assert.equal(header(r, 'etag'), header(first, 'etag'));
    assert.equal(header(r, 'x-static-test'), 'yes');
    await server.waitForOutput(/GET \/static\/hello\.txt => generated 0 bytes in \d+ msecs \(HTTP\/1\.1 304\)/);
  });

  it('answers HEAD with the length and no body', async () => {
    const packet = encodePacket(nginxVars({ method: 'HEAD', uri: '/static/big.bin' }));
    const { data } = await exchange(target, [packet]);
    const parsed = parseResponse(data, { head: true, eof: true });
    assert.ok(parsed !== null);
    assert.equal(parsed.response.statusCode, 200);
    assert.equal(header(parsed.response, 'content-length'), String(big.length));
    assert.equal(data.length, parsed.response.headText.length, 'nothing after the head');
  });

  it('refuses a path out of the mount with 403 and one log line', async () => {
    const r = await get('/static/../secret.txt');
    assert.equal(r.statusCode, 403);
    assert.equal(r.body.toString(), '403 Forbidden\n');
    assert.equal(header(r, 'x-static-test'), undefined);
    await server.waitForOutput(/GET \/static\/\.\.\/secret\.txt from 127\.0\.0\.1: a '\.\.' segment in the path: answered 403\n/);
    await server.waitForOutput(/GET \/static\/\.\.\/secret\.txt => generated 14 bytes in \d+ msecs \(HTTP\/1\.1 403\)/);
  });

  it('answers a dot file 404 with nothing logged but its request line', async () => {
    const r = await get('/static/.env');
    assert.equal(r.statusCode, 404);
    assert.equal(r.body.toString(), '404 Not Found\n');
    await server.waitForOutput(/GET \/static\/\.env => generated 14 bytes in \d+ msecs \(HTTP\/1\.1 404\)/);
    assert.doesNotMatch(server.output(), /\.env.*answered 404/);
  });

  it('gives up on a peer that stops reading after socket-timeout, and serves the next request', async () => {
    const stalled = await connect(target);
    let received = 0;
    stalled.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= 1024 * 1024) stalled.pause();
    });
    stalled.on('error', () => { /* the worker resets the connection it gave up on */ });
    stalled.write(encodePacket(nginxVars({ uri: '/static/huge.bin' })));
    try {
      await waitFor(() => received >= 1024 * 1024, 20_000, 'the first MiB of the response');
      // one worker with one core: this waits until the worker has given up on the stalled one
      const r = await get('/static/hello.txt');
      assert.equal(r.body.toString(), 'hello\n');
      const m = await server.waitForOutput(/GET \/static\/huge\.bin => generated (\d+) bytes/);
      assert.ok(Number(m[1]) < 256 * 1024 * 1024, `the log says ${m[1]} bytes: the whole file`);
    } finally {
      stalled.destroy();
    }
  });

  it('never called the app for those; a file no mount has goes to the app, with add-header', async () => {
    assert.deepEqual(await seenByApp(), []);
    const r = await get('/static/missing.txt');
    assert.equal(r.statusCode, 404);
    assert.equal(r.body.toString(), 'app: /static/missing.txt');
    assert.equal(header(r, 'x-static-test'), 'yes');
    const post = await uwsgiRequest(target, nginxVars({ method: 'POST', uri: '/static/hello.txt', contentLength: 0 }));
    assert.equal(post.body.toString(), 'app: /static/hello.txt', 'only GET and HEAD are served from the mount');
    assert.deepEqual(await seenByApp(), ['/static/missing.txt', '/static/hello.txt']);
  });
});
