// Chunked transfer coding: request bodies reach the app whole with wsgi.input_terminated, and
// responses without a Content-Length are sent chunked to HTTP/1.1 clients.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import {
  RawClient, header, httpRequest, json, parseAll, rawExchange, sha256, stopServer, tempDir,
  downloadSha256, type Echo,
} from './helpers/wire.ts';

function chunked(parts: Array<string | Buffer>): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    out.push(Buffer.from(b.length.toString(16) + '\r\n', 'latin1'), b, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}

describe('chunked request bodies (echo app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
  });
  after(() => stopServer(server));

  it('delivers a chunked body whole, with wsgi.input_terminated and no CONTENT_LENGTH', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('POST /chunked HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
      c.write('5\r\nhello\r\n');
      c.write('1;ext=value\r\n \r\n');
      c.write('6\r\nworld!\r\n');
      c.write('0\r\nX-Trailer: ignored\r\n\r\n');
      const r = await c.readResponse();
      assert.equal(r.statusCode, 200);
      const echo = json<Echo>(r.body);
      assert.equal(echo.body, 'hello world!');
      assert.equal(echo.body_len, 12);
      assert.ok(echo.cgi.CONTENT_LENGTH === undefined || echo.cgi.CONTENT_LENGTH === '',
        `no CONTENT_LENGTH for a chunked body, got ${JSON.stringify(echo.cgi.CONTENT_LENGTH)}`);
      assert.equal(echo.cgi.CONTENT_TYPE, 'text/plain');
      assert.deepEqual(echo.wsgi['wsgi.input_terminated'], { type: 'bool', value: true });
    } finally {
      c.close();
    }
  });

  it('delivers an empty chunked body as empty', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('POST /empty HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      const r = await c.readResponse();
      const echo = json<Echo>(r.body);
      assert.equal(echo.body, '');
      assert.equal(echo.body_len, 0);
    } finally {
      c.close();
    }
  });

  it('delivers a 2 MiB body streamed by node:http in 1000 chunks', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const pieces: Buffer[] = [];
    for (let i = 0; i < 1000; i++) pieces.push(data.subarray(Math.floor(i * data.length / 1000), Math.floor((i + 1) * data.length / 1000)));
    const r = await httpRequest(`${server.url}/big`, {
      method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: pieces,
    });
    assert.equal(r.status, 200);
    const echo = json<Echo>(r.body);
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.body_len, data.length);
    assert.equal(echo.body_sha256, sha256(data));
  });

  it('keeps the framing of a chunked body followed by a pipelined request', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write(Buffer.concat([
        Buffer.from('POST /one HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'),
        chunked(['abc', 'GET /smuggled HTTP/1.1\r\n\r\n']),
        Buffer.from('GET /two HTTP/1.1\r\nHost: x\r\n\r\n'),
      ]));
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      assert.equal(json<Echo>(r1.body).body, 'abcGET /smuggled HTTP/1.1\r\n\r\n');
      assert.equal(json<Echo>(r2.body).path, '/two');
    } finally {
      c.close();
    }
  });

  it('never frames a body by Content-Length when Transfer-Encoding: chunked is also given', async () => {
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; a server may also refuse (400).
    const { data } = await rawExchange(server.port,
      'POST /te-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
      '5\r\nhello\r\n0\r\n\r\n');
    const [r] = parseAll(data);
    assert.ok(r, 'a response');
    if (r.statusCode === 200) assert.equal(json<Echo>(r.body).body, 'hello');
    else assert.equal(r.statusCode, 400);
  });

  it('never answers 200 to a body with a malformed chunk size, and keeps serving', async () => {
    const { data } = await rawExchange(server.port,
      'POST /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n');
    const responses = data.length ? parseAll(data) : [];
    for (const r of responses) {
      assert.ok(r.statusCode >= 400, `a malformed chunked body got ${r.statusCode}: ${r.body.toString('latin1').slice(0, 200)}`);
    }
    const ok = await httpRequest(`${server.url}/after-bad`);
    assert.equal(ok.status, 200);
  });
});

describe('chunked responses (streaming app)', () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    dir = tempDir();
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'streaming.py')]);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a response without Content-Length chunked to an HTTP/1.1 client', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /chunks?n=5&size=10 HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse();
      assert.equal(r.statusCode, 200);
      assert.equal(r.chunked, true, `expected Transfer-Encoding: chunked, head was:\n${r.headText}`);
      assert.equal(header(r, 'content-length'), undefined);
      assert.equal(r.complete, true);
      assert.equal(r.body.toString(), 'a'.repeat(10) + 'b'.repeat(10) + 'c'.repeat(10) + 'd'.repeat(10) + 'e'.repeat(10));
      assert.equal(c.ended, false, 'the connection stays open after a chunked response');
      c.write('GET /chunks?n=1&size=3 HTTP/1.1\r\nHost: x\r\n\r\n');
      const r2 = await c.readResponse();
      assert.equal(r2.body.toString(), 'aaa');
    } finally {
      c.close();
    }
  });

  it('does not chunk a response whose Content-Length the app declared', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /chunks?n=3&size=4&cl=1 HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse();
      assert.equal(r.chunked, false);
      assert.equal(header(r, 'content-length'), '12');
      assert.equal(r.body.toString(), 'aaaabbbbcccc');
    } finally {
      c.close();
    }
  });

  it('streams a 5 MiB generated response chunked, intact', async () => {
    const total = 5 * 1024 * 1024;
    const c = await RawClient.connect(server.port);
    try {
      c.write(`GET /download?bytes=${total} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const r = await c.readResponse({ timeoutMs: 20_000 });
      assert.equal(r.chunked, true);
      assert.equal(r.body.length, total);
      assert.equal(sha256(r.body), downloadSha256(total));
    } finally {
      c.close();
    }
  });

  it('sends a yielded chunk at once, without waiting for the next one', async () => {
    const flag = path.join(dir, 'handshake-flag');
    const c = await RawClient.connect(server.port);
    try {
      c.write(`GET /handshake?flag=${encodeURIComponent(flag)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      // The app waits (at most 10 s) for the flag before its second chunk: if the server held the
      // first chunk back, it would not arrive before then.
      await c.waitForData('first;', 8_000);
      fs.writeFileSync(flag, 'go');
      const r = await c.readResponse();
      assert.equal(r.body.toString(), 'first;second');
    } finally {
      c.close();
    }
  });
});
