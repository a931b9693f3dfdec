// HTTP/2 with prior knowledge (h2c) on a plain --http listener, with --http2-cleartext: a client
// whose first bytes are the preface is served over HTTP/2 (curl --http2-prior-knowledge, h2load,
// a preface written in two pieces), with wsgi.url_scheme http and no HTTPS, under the same http2-*
// settings and limits as over TLS; HTTP/1.1 clients on the same port are served as before, even
// when their first bytes begin like the preface; a graceful shutdown sends the h2c connections
// GOAWAY after their open streams. Without the option, a prior-knowledge client gets node:http's
// 400, as it always has.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FLAG, FRAME, H2Wire, PREFACE, headers, requestBlock, settings, settingsAck } from './helpers/h2-frames.ts';
import { needExecutable } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { curlGet, needCurl } from './helpers/tls-client.ts';
import { RawClient, json, sleep, stopServer, type Echo } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');
/** RFC 9113 §6.5.2 and §7. */
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const CODE_SETTINGS_TIMEOUT = 0x4;

/** The environ the echo app saw, without what differs between two connections or protocols. */
function common(cgi: Record<string, string>): Record<string, string> {
  const { SERVER_PROTOCOL: _protocol, REMOTE_PORT: _port, ...rest } = cgi;
  return rest;
}

describe('--http2-cleartext on a plain --http listener', () => {
  let server: RunningServer | undefined;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--http2-cleartext', '--wsgi-file', echoApp, '-p', '2',
      '--http2-max-concurrent-streams', '50', '--http2-settings-timeout', '1']);
  });
  after(() => stopServer(server));

  it('serves curl --http2-prior-knowledge over HTTP/2 and curl --http1.1 over HTTP/1.1, on the same port', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined) return;
    const url = `${server!.url}/path%20x?q=1`;
    const h2 = await curlGet(curl, url, ['--http2-prior-knowledge'], '%{http_version} %{http_code}');
    const h1 = await curlGet(curl, url, [], '%{http_version} %{http_code}');
    assert.equal(h2.code, 0, h2.stderr);
    assert.equal(h1.code, 0, h1.stderr);
    assert.deepEqual([h2.out, h1.out], ['2 200', '1.1 200']);
    const viaH2 = json<Echo>(Buffer.from(h2.body));
    const viaH1 = json<Echo>(Buffer.from(h1.body));
    assert.deepEqual([viaH2.cgi.SERVER_PROTOCOL, viaH1.cgi.SERVER_PROTOCOL], ['HTTP/2', 'HTTP/1.1']);
    assert.equal(viaH2.wsgi['wsgi.url_scheme'].value, 'http');
    assert.equal(viaH2.cgi.HTTPS, undefined);
    assert.equal(viaH2.cgi.PATH_INFO, '/path x');
    assert.deepEqual(common(viaH2.cgi), common(viaH1.cgi));
  });

  it('answers a request asking for the upgrade to h2c over HTTP/1.1: only prior knowledge is served', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined) return;
    const r = await curlGet(curl, `${server!.url}/`, ['--http2'], '%{http_version} %{http_code}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out, '1.1 200');
    assert.equal(json<Echo>(Buffer.from(r.body)).cgi.HTTP_UPGRADE, 'h2c');
  });

  it("answers every request of h2load's 4 connections of 10 streams each, in h2c", async (t) => {
    const h2load = needExecutable(t, 'h2load', 'nghttp2-client');
    if (h2load === undefined) return;
    const output = await new Promise<string>((resolve) => {
      execFile(h2load, ['-c', '4', '-m', '10', '-n', '200', `${server!.url}/`], { timeout: 60_000 },
        (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    assert.match(output, /requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored/, output);
    assert.match(output, /status codes: 200 2xx/, output);
    assert.match(output, /Application protocol: h2c/, output);
  });

  it('recognises a preface written in two pieces', async () => {
    const wire = await H2Wire.connectCleartext(server!.port, { preface: false });
    try {
      wire.write(PREFACE.subarray(0, 10));
      await sleep(200);
      wire.write(Buffer.concat([PREFACE.subarray(10), settings(), settingsAck(),
        headers(1, requestBlock('GET', '/split'), { endStream: true, endHeaders: true })]));
      await wire.waitFrame((f) => f.streamId === 1 && (f.flags & FLAG.END_STREAM) !== 0);
      const body = Buffer.concat(wire.frames.filter((f) => f.type === FRAME.DATA && f.streamId === 1).map((f) => f.payload));
      const echo = json<Echo>(body);
      assert.equal(echo.path, '/split');
      assert.equal(echo.cgi.SERVER_PROTOCOL, 'HTTP/2');
      // the server's SETTINGS are the http2-* options', as over TLS
      const serverSettings = wire.frames.find((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0)!.payload;
      const entries = new Map<number, number>();
      for (let i = 0; i + 6 <= serverSettings.length; i += 6) entries.set(serverSettings.readUInt16BE(i), serverSettings.readUInt32BE(i + 2));
      assert.equal(entries.get(SETTINGS_MAX_CONCURRENT_STREAMS), 50);
    } finally {
      wire.close();
    }
  });

  it("closes an h2c connection that does not acknowledge the server's SETTINGS within http2-settings-timeout", async () => {
    const wire = await H2Wire.connectCleartext(server!.port, { ack: false });
    try {
      await wire.waitClosed();
      assert.equal(wire.goAwayCode(), CODE_SETTINGS_TIMEOUT);
      await server!.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: no preface or SETTINGS acknowledgement within 1 s: closed/);
    } finally {
      wire.close();
    }
  });

  it('serves over HTTP/1.1 a request whose first bytes, sent apart, begin like the preface', async () => {
    const client = await RawClient.connect(server!.port);
    try {
      client.write('P');
      await sleep(200);
      client.write('UT /put HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nok');
      const response = await client.readResponse();
      assert.equal(response.statusCode, 200);
      const echo = json<Echo>(response.body);
      assert.deepEqual([echo.method, echo.path, echo.body, echo.cgi.SERVER_PROTOCOL], ['PUT', '/put', 'ok', 'HTTP/1.1']);
    } finally {
      client.close();
    }
  });

  it('serves HTTP/1.1 requests pipelined in the first bytes, and the body that came with them', async () => {
    const client = await RawClient.connect(server!.port);
    try {
      const body = Buffer.alloc(200_000, 'b');
      client.write(Buffer.concat([Buffer.from('GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n' +
        `POST /2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n`), body,
        Buffer.from('GET /3 HTTP/1.1\r\nHost: localhost\r\n\r\n')]));
      const echoes = [];
      for (let i = 0; i < 3; i++) echoes.push(json<Echo>((await client.readResponse()).body));
      assert.deepEqual(echoes.map((e) => [e.path, e.body_len]), [['/1', 0], ['/2', body.length], ['/3', 0]]);
    } finally {
      client.close();
    }
  });
});

describe('--http2-cleartext and a graceful shutdown', () => {
  it('sends an h2c connection GOAWAY and lets its open stream finish', async () => {
    const server = await startServer(['--http', '127.0.0.1:0', '--http2-cleartext', '--wsgi-file', path.join(fixtureApps, 'slow.py')]);
    const session = http2.connect(server.url);
    try {
      session.on('error', () => {});
      const goAway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
      const stream = session.request({ ':path': '/?sleep=1&id=h2c' });
      let status = 0;
      const parts: Buffer[] = [];
      stream.on('response', (h) => { status = Number(h[':status']); });
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      const ended = new Promise<void>((resolve) => stream.on('close', () => resolve()));
      await server.waitForOutput(/slow request h2c started/);
      const exited = server.stop();
      assert.equal(await goAway, http2.constants.NGHTTP2_NO_ERROR);
      await ended;
      assert.equal(status, 200);
      assert.equal(Buffer.concat(parts).toString(), 'slept 1 (h2c)');
      assert.equal((await exited).code, 0, server.output());
    } finally {
      session.destroy();
      await stopServer(server);
    }
  });
});

describe('without --http2-cleartext', () => {
  let server: RunningServer | undefined;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it("answers a prior-knowledge client node:http's 400 and closes, as it always has", async () => {
    const client = await RawClient.connect(server!.port);
    try {
      client.write(Buffer.concat([PREFACE, settings()]));
      const response = await client.readResponse();
      assert.equal(response.statusCode, 400);
      assert.ok(await client.waitEnded(), 'the connection stays open');
      await server!.waitForOutput(/malformed HTTP request from 127\.0\.0\.1: HPE_PAUSED_H2_UPGRADE.*answered 400/);
    } finally {
      client.close();
    }
  });
});
