// Requests over the uwsgi protocol (what nginx's uwsgi_pass sends) on TCP, unix and abstract
// sockets: GET and POST, bodies that arrive with the head or after it, large bodies both ways,
// and bodies that break off.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { byteRangePattern, downloadSha256, json, sha256, sleep, stopServer, tempDir, waitFor, type Echo } from './helpers/wire.ts';
import { connect, encodePacket, exchange, nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

describe('uwsgi protocol on TCP, unix and abstract sockets', () => {
  const dir = tempDir();
  const unixPath = path.join(dir, 'app.sock');
  const abstractName = `nuwsgi-test-${process.pid}`;
  let server: RunningServer;
  let targets: Array<[string, UwsgiTarget]>;

  before(async () => {
    server = await startServer(['--socket', '127.0.0.1:0', '--uwsgi-socket', unixPath, '-s', `@${abstractName}`,
      '--wsgi-file', echoApp]);
    targets = [['TCP', uwsgiTarget(server, 0)], ['unix', { path: unixPath }], ['abstract', { path: `\0${abstractName}` }]];
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs every listener as "uwsgi listening on ADDR"', () => {
    assert.match(server.output(), /uwsgi listening on 127\.0\.0\.1:\d+\n/);
    assert.ok(server.output().includes(`uwsgi listening on ${unixPath}\n`));
    assert.ok(server.output().includes(`uwsgi listening on @${abstractName}\n`));
  });

  for (const index of [0, 1, 2]) {
    it(`GET over ${['TCP', 'unix', 'abstract'][index]}`, async () => {
      const [, target] = targets[index]!;
      const r = await uwsgiRequest(target, nginxVars({ uri: '/hello?x=1' }));
      assert.equal(r.statusCode, 200);
      assert.equal(r.httpVersion, '1.1');
      const echo = json<Echo>(r.body);
      assert.equal(echo.method, 'GET');
      assert.equal(echo.path, '/hello');
      assert.equal(echo.query, 'x=1');
      assert.equal(echo.body_len, 0);
    });

    it(`POST over ${['TCP', 'unix', 'abstract'][index]}, the body in the same write as the head`, async () => {
      const [, target] = targets[index]!;
      const body = 'name=value&other=thing';
      const r = await uwsgiRequest(target, nginxVars({ method: 'POST', uri: '/form', contentLength: body.length,
        contentType: 'application/x-www-form-urlencoded' }), body);
      assert.equal(r.statusCode, 200);
      const echo = json<Echo>(r.body);
      assert.equal(echo.method, 'POST');
      assert.equal(echo.body, body);
      assert.equal(echo.cgi.CONTENT_TYPE, 'application/x-www-form-urlencoded');
    });
  }

  it('reads a body that arrives in pieces after the head', async () => {
    const body = byteRangePattern(100_000);
    const socket = await connect(targets[0]![1]);
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(encodePacket(nginxVars({ method: 'POST', uri: '/pieces', contentLength: body.length })));
    for (let at = 0; at < body.length; at += 30_000) {
      await sleep(20);
      socket.write(body.subarray(at, at + 30_000));
    }
    await closed;
    const echo = json<Echo>(Buffer.from(Buffer.concat(chunks).toString('latin1').split('\r\n\r\n')[1]!, 'latin1'));
    assert.equal(echo.body_len, body.length);
    assert.equal(echo.body_sha256, sha256(body));
  });

  it('streams an 8 MiB upload through flow control, byte for byte', async () => {
    const body = byteRangePattern(8 * 1024 * 1024);
    const r = await uwsgiRequest(targets[1]![1], nginxVars({ method: 'PUT', uri: '/big', contentLength: body.length }), body,
      { timeoutMs: 30_000 });
    const echo = json<Echo>(r.body);
    assert.equal(echo.body_len, body.length);
    assert.equal(echo.body_sha256, sha256(body));
  });

  it('ignores bytes past CONTENT_LENGTH', async () => {
    const r = await uwsgiRequest(targets[0]![1], nginxVars({ method: 'POST', contentLength: 3 }), 'abcdef');
    assert.equal(json<Echo>(r.body).body, 'abc');
  });

  it('answers with the status line of SERVER_PROTOCOL, or HTTP/1.0 without one, and closes', async () => {
    const r = await uwsgiRequest(targets[0]![1], [['REQUEST_METHOD', 'GET'], ['PATH_INFO', '/'], ['SERVER_NAME', 'x'], ['SERVER_PORT', '80']]);
    assert.equal(r.httpVersion, '1.0');
    assert.equal(r.statusCode, 200);
    assert.ok(!r.headers.some(([name]) => /^(connection|transfer-encoding)$/i.test(name)), r.headText);
  });

  it('still answers a peer that shut down its sending side after the request', async () => {
    const { data } = await exchange(targets[0]![1], [encodePacket(nginxVars({ uri: '/half-closed' }))], { halfClose: true });
    assert.match(data.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  });

  it('logs each request like uWSGI', async () => {
    await uwsgiRequest(targets[0]![1], nginxVars({ uri: '/logged?q=1', remoteAddr: '198.51.100.4' }));
    await waitFor(() => /\] 198\.51\.100\.4 \(\) \{\d+ vars in \d+ bytes\} \[.*\] GET \/logged\?q=1 => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\)/
      .test(server.output()), 5_000, 'the request log line');
  });

  it('closes the connection and logs it when the body breaks off before CONTENT_LENGTH', async () => {
    const mark = server.output().length;
    const { data } = await exchange(targets[0]![1], [encodePacket(nginxVars({ method: 'POST', uri: '/short', contentLength: 1000 })), 'only this'],
      { halfClose: true });
    assert.equal(data.length, 0, `no response expected, got ${JSON.stringify(data.toString('latin1'))}`);
    await waitFor(() => /the connection closed after 9 of the 1000 bytes of the body/.test(server.output().slice(mark)), 5_000, 'the log line');
    const r = await uwsgiRequest(targets[0]![1], nginxVars({ uri: '/after' }));
    assert.equal(r.statusCode, 200);
  });
});

describe('uwsgi protocol: large and slow responses', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'streaming.py')]);
  });
  after(() => stopServer(server));

  it('sends a 16 MiB response whole, ending with the connection', async () => {
    const size = 16 * 1024 * 1024;
    const r = await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: `/download?bytes=${size}` }), '', { timeoutMs: 30_000 });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body.length, size);
    assert.equal(sha256(r.body), downloadSha256(size));
  });

  it('sends the chunks of a streamed response as they come', async () => {
    const r = await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/chunks?n=5&size=10&sleep=20' }));
    assert.equal(r.body.toString(), 'aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeee');
  });
});
