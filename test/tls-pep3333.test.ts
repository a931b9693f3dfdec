// The PEP 3333 fixture apps over an HTTPS listener, each mounted under its name: what the app
// reads of wsgi.input and what it sends (iterables, write(), wsgi.file_wrapper, streams) arrives
// whole over TLS, bodies streaming both ways under flow control; close() is called when the
// client goes away mid-response.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { testCertificates, type TestCertificates } from './helpers/certs.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureMounts, startServer, type RunningServer } from './helpers/server.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import {
  byteRangePattern, downloadSha256, httpRequest, json, sha256, stopServer, waitFor, type Echo, type HttpOptions,
} from './helpers/wire.ts';

describe('the PEP 3333 fixture apps over TLS', () => {
  let certs: TestCertificates | undefined;
  let server: RunningServer | undefined;
  let base = '';
  let ca = '';
  before(async () => {
    const openssl = findExecutable('openssl');
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    const authority = await certs.ca('test-ca');
    ca = fs.readFileSync(authority.cert, 'latin1');
    const site = await certs.issue('site', { cn: 'localhost', issuer: authority });
    server = await startServer(['--https', `127.0.0.1:0,${site.cert},${site.key}`, ...fixtureMounts(), '--manage-script-name', '-p', '2']);
    base = `https://127.0.0.1:${/HTTPS listening on 127\.0\.0\.1:(\d+)/.exec(server.output())![1]}`;
  });
  after(async () => {
    await stopServer(server);
    assert.equal(server?.output().includes('Iterator garbage collected without being closed'), false);
    certs?.remove();
  });

  /** A request checking the server's certificate (made for 127.0.0.1) against the test CA. */
  const request = (target: string, opts: HttpOptions = {}) => httpRequest(`${base}${target}`, { ...opts, ca });

  it('validates the environ, with wsgi.url_scheme https', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const r = await request('/echo/x');
    assert.equal(r.status, 200);
    const echo = json<Echo>(r.body);
    assert.equal(echo.wsgi['wsgi.url_scheme']!.value, 'https');
    assert.equal(echo.cgi.SCRIPT_NAME, '/echo');
    assert.equal(echo.path, '/x');
  });

  it('reads request bodies whole, by read(n) and by readline(), while the app holds back', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    for (const [mode, size] of [['read', 3 << 20], ['readline', 200_000]] as const) {
      const body = byteRangePattern(size);
      const r = await request(`/upload/?mode=${mode}&delay=200`, { method: 'POST', body });
      assert.equal(r.status, 200, r.body.toString());
      const result = json<{ bytes: number; sha256: string }>(r.body);
      assert.equal(result.bytes, size, mode);
      assert.equal(result.sha256, sha256(body), mode);
    }
  });

  it('sends every kind of response iterable, write() and file_wrapper output whole', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const large = await request('/responses/large_single');
    assert.equal(sha256(large.body), sha256(byteRangePattern(3 << 20)));
    assert.equal((await request('/responses/gen')).body.toString(), 'abc');
    const latin1 = await request('/responses/latin1');
    assert.equal(Buffer.from(latin1.headers['x-latin1'] as string, 'latin1').toString('latin1'), 'caf\xe9');
    const written = await request('/write/write_large?bytes=2000000');
    assert.equal(sha256(written.body), sha256(byteRangePattern(2_000_000)));
    const file = path.join(certs!.dir, 'served.bin');
    fs.writeFileSync(file, byteRangePattern(1_500_000));
    const wrapped = await request(`/files/file?path=${encodeURIComponent(file)}&cl=1`);
    assert.equal(sha256(wrapped.body), sha256(byteRangePattern(1_500_000)));
  });

  it('streams a long download without Content-Length, chunked', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const bytes = 8 << 20;
    const r = await request(`/streaming/download?bytes=${bytes}`);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.body.length, bytes);
    assert.equal(sha256(r.body), downloadSha256(bytes));
  });

  it('calls close() when the client goes away in the middle of a stream', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const track = path.join(certs!.dir, 'closes.txt');
    const port = Number(new URL(base).port);
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
        socket.write(`GET /close/?track=${encodeURIComponent(track)}&id=gone&chunks=100000&size=1024&sleep=10 HTTP/1.1\r\n` +
          'Host: localhost\r\n\r\n');
      });
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 4096) {
          socket.destroy();
          resolve();
        }
      });
      socket.on('error', reject);
    });
    await waitFor(() => fs.existsSync(track) && /^gone closed after \d+ chunks$/m.test(fs.readFileSync(track, 'utf8')), 10_000,
      'close() of the stream the client left');
  });
});
