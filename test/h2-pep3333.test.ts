// The PEP 3333 fixture apps over HTTP/2 (an --https listener, node:http2's client): the environ
// validated, with HTTP/2 as the protocol; request bodies streamed in, past the worker's credit
// window and the client's h2 window while the app holds back; every kind of response iterable;
// a long download streamed out; close() called when the client resets its stream mid-response.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testCertificates, type TestCertificates } from './helpers/certs.ts';
import { h2Connect, h2Request } from './helpers/h2-front.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureMounts, startServer, type RunningServer } from './helpers/server.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import { byteRangePattern, downloadSha256, json, sha256, stopServer, waitFor, type Echo } from './helpers/wire.ts';

describe('the PEP 3333 fixture apps over HTTP/2', () => {
  let certs: TestCertificates | undefined;
  let server: RunningServer | undefined;
  let session: http2.ClientHttp2Session | undefined;
  before(async () => {
    const openssl = findExecutable('openssl');
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    const site = await certs.issue('site', { cn: 'localhost' });
    server = await startServer(['--https', `127.0.0.1:0,${site.cert},${site.key}`, ...fixtureMounts(), '--manage-script-name', '-p', '2']);
    session = await h2Connect(Number(/HTTPS listening on 127\.0\.0\.1:(\d+)/.exec(server.output())![1]));
  });
  after(async () => {
    session?.close();
    await stopServer(server);
    assert.equal(server?.output().includes('Iterator garbage collected without being closed'), false);
    certs?.remove();
  });

  const get = (target: string) => h2Request(session!, { ':path': target });

  it('validates the environ, with SERVER_PROTOCOL HTTP/2 and wsgi.url_scheme https', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const r = await h2Request(session!, { ':path': '/echo/x?y=1', cookie: ['a=1', 'b=2'] });
    assert.equal(r.status, 200);
    const echo = json<Echo>(r.body);
    assert.equal(echo.cgi.SERVER_PROTOCOL, 'HTTP/2');
    assert.equal(echo.cgi.HTTPS, 'on');
    assert.equal(echo.wsgi['wsgi.url_scheme']!.value, 'https');
    assert.equal(echo.cgi.SCRIPT_NAME, '/echo');
    assert.equal(echo.path, '/x');
    assert.equal(echo.query, 'y=1');
    assert.match(echo.cgi.HTTP_HOST!, /^127\.0\.0\.1:\d+$/);
    assert.equal(echo.cgi.HTTP_COOKIE, 'a=1; b=2');
  });

  it('streams request bodies in, of a declared length and of unknown length, while the app holds back', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const body = byteRangePattern(3 << 20);
    for (const declared of [true, false]) {
      const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': '/upload/?mode=read&delay=200' };
      if (declared) headers['content-length'] = String(body.length);
      const r = await h2Request(session!, headers, body);
      assert.equal(r.status, 200, r.body.toString());
      const result = json<{ bytes: number; sha256: string; content_length: string | null }>(r.body);
      assert.equal(result.bytes, body.length);
      assert.equal(result.sha256, sha256(body));
      assert.equal(result.content_length, declared ? String(body.length) : null);
    }
    const lines = await h2Request(session!, { ':method': 'POST', ':path': '/upload/?mode=readline' }, byteRangePattern(200_000));
    assert.equal(json<{ sha256: string }>(lines.body).sha256, sha256(byteRangePattern(200_000)));
  });

  it('sends every kind of response iterable, write() and file_wrapper output whole', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    assert.equal(sha256((await get('/responses/large_single')).body), sha256(byteRangePattern(3 << 20)));
    assert.equal((await get('/responses/gen')).body.toString(), 'abc');
    assert.equal(sha256((await get('/write/write_large?bytes=2000000')).body), sha256(byteRangePattern(2_000_000)));
    const file = path.join(certs!.dir, 'served.bin');
    fs.writeFileSync(file, byteRangePattern(1_500_000));
    assert.equal(sha256((await get(`/files/file?path=${encodeURIComponent(file)}&cl=1`)).body), sha256(byteRangePattern(1_500_000)));
  });

  it('streams a long download out, without Content-Length', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const bytes = 8 << 20;
    const r = await get(`/streaming/download?bytes=${bytes}`);
    assert.equal(r.rstCode, 0);
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.body.length, bytes);
    assert.equal(sha256(r.body), downloadSha256(bytes));
  });

  it('calls close() when the client resets its stream in the middle of a response', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const track = path.join(certs!.dir, 'closes.txt');
    const stream = session!.request({ ':path': `/close/?track=${encodeURIComponent(track)}&id=reset&chunks=100000&size=1024&sleep=10` });
    stream.on('error', () => {});
    let received = 0;
    await new Promise<void>((resolve) => stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > 4096) resolve();
    }));
    stream.close(8 /* CANCEL */);
    await waitFor(() => fs.existsSync(track) && /^reset closed after \d+ chunks$/m.test(fs.readFileSync(track, 'utf8')), 10_000,
      'close() of the stream the client reset');
    // the same connection goes on serving
    assert.equal((await get('/echo/after')).status, 200);
  });
});
