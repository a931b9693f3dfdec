// Keep-alive, pipelining, Connection: close and HTTP/1.0 clients, checked on the wire.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import {
  RawClient, connectionHas, header, httpRequest, json, parseAll, rawExchange, stopServer, type Echo,
} from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

describe('keep-alive and pipelining (echo app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it('serves several requests one after the other on one HTTP/1.1 connection', async () => {
    const c = await RawClient.connect(server.port);
    try {
      for (let i = 0; i < 3; i++) {
        c.write(`GET /ka/${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        const r = await c.readResponse();
        assert.equal(r.statusCode, 200);
        assert.equal(r.complete, true);
        assert.equal(connectionHas(r, 'close'), false, 'no Connection: close on a kept-alive HTTP/1.1 connection');
        const echo = json<Echo>(r.body);
        assert.equal(echo.path, `/ka/${i}`);
        assert.equal(echo.cgi.REMOTE_PORT, String(c.socket.localPort), 'the same client connection');
      }
      assert.equal(c.ended, false, 'the connection is still open');
    } finally {
      c.close();
    }
  });

  it('lets a keep-alive http.Agent reuse its socket', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ports = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const r = await httpRequest(`${server.url}/agent/${i}`, { agent });
        assert.equal(r.status, 200);
        const echo = json<Echo>(r.body);
        assert.equal(echo.path, `/agent/${i}`);
        ports.add(echo.cgi.REMOTE_PORT!);
      }
      assert.equal(ports.size, 1, `one client port expected, saw ${[...ports].join(', ')}`);
    } finally {
      agent.destroy();
    }
  });

  it('answers pipelined requests in order, bodies included', async () => {
    const c = await RawClient.connect(server.port);
    try {
      const body = 'posted body 123';
      c.write(
        'GET /pipe/1?a=1 HTTP/1.1\r\nHost: x\r\n\r\n' +
        `POST /pipe/2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        'HEAD /pipe/3 HTTP/1.1\r\nHost: x\r\n\r\n' +
        'GET /pipe/4 HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      const r3 = await c.readResponse({ head: true });
      const r4 = await c.readResponse();
      assert.deepEqual([r1.statusCode, r2.statusCode, r3.statusCode, r4.statusCode], [200, 200, 200, 200]);
      const e1 = json<Echo>(r1.body);
      const e2 = json<Echo>(r2.body);
      const e4 = json<Echo>(r4.body);
      assert.equal(e1.path, '/pipe/1');
      assert.equal(e1.query, 'a=1');
      assert.equal(e2.path, '/pipe/2');
      assert.equal(e2.method, 'POST');
      assert.equal(e2.body, body);
      assert.equal(r3.body.length, 0);
      assert.equal(e4.path, '/pipe/4');
      assert.equal(e4.body, '', 'the POST body did not leak into the next request');
      assert.equal(c.pending.length, 0, 'nothing after the fourth response');
    } finally {
      c.close();
    }
  });

  it('answers pipelined requests sent one byte at a time', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.socket.setNoDelay(true);
      const text = 'GET /slow/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/2 HTTP/1.1\r\nHost: x\r\n\r\n';
      for (const ch of text) c.write(ch);
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      assert.equal(json<Echo>(r1.body).path, '/slow/1');
      assert.equal(json<Echo>(r2.body).path, '/slow/2');
    } finally {
      c.close();
    }
  });

  it('closes the connection after the response when the client sends Connection: close', async () => {
    const { data } = await rawExchange(server.port, 'GET /close HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const [r, ...rest] = parseAll(data);
    assert.equal(r!.statusCode, 200);
    assert.equal(r!.complete, true);
    assert.equal(connectionHas(r!, 'close'), true, 'the response says Connection: close');
    assert.equal(json<Echo>(r!.body).path, '/close');
    assert.equal(rest.length, 0);
  });

  it('ignores requests pipelined after a Connection: close request', async () => {
    const { data } = await rawExchange(server.port,
      'GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = parseAll(data);
    assert.equal(responses.length, 1, 'only the first request is answered');
    // RFC 9112 §9.6: the request carrying "close" gets its response; later ones are not processed.
    assert.equal(responses[0]!.statusCode, 200, `the request with Connection: close must be answered, got:\n${responses[0]!.headText}`);
    assert.equal(json<Echo>(responses[0]!.body).path, '/first');
  });

  it('closes the connection after the response when the app sends Connection: close', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /app-close?header=Connection:close HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse();
      assert.equal(r.statusCode, 200);
      assert.equal(json<Echo>(r.body).path, '/app-close');
      assert.equal(await c.waitEnded(5_000), true, 'the server closed the connection');
    } finally {
      c.close();
    }
  });

  it('HTTP/1.0 without keep-alive: a complete response, then the connection is closed', async () => {
    const { data } = await rawExchange(server.port, 'GET /old HTTP/1.0\r\nHost: x\r\n\r\n');
    const [r] = parseAll(data);
    assert.equal(r!.statusCode, 200);
    assert.equal(r!.chunked, false, 'no chunked encoding for an HTTP/1.0 client');
    const echo = json<Echo>(r!.body);
    assert.equal(echo.path, '/old');
    assert.equal(echo.cgi.SERVER_PROTOCOL, 'HTTP/1.0');
  });

  it('HTTP/1.0 with Connection: keep-alive keeps the connection open', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /old-ka/1 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      const r1 = await c.readResponse();
      assert.equal(r1.statusCode, 200);
      assert.equal(r1.chunked, false);
      assert.ok(header(r1, 'content-length') !== undefined, 'a kept-alive HTTP/1.0 response needs a Content-Length');
      assert.equal(connectionHas(r1, 'keep-alive'), true, 'HTTP/1.0 keep-alive is confirmed with Connection: keep-alive');
      c.write('GET /old-ka/2 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      const r2 = await c.readResponse();
      assert.equal(json<Echo>(r2.body).path, '/old-ka/2');
      c.write('GET /old-ka/3 HTTP/1.0\r\nHost: x\r\n\r\n');
      const r3 = await c.readResponse();
      assert.equal(json<Echo>(r3.body).path, '/old-ka/3');
      assert.equal(await c.waitEnded(5_000), true, 'closed after an HTTP/1.0 request without keep-alive');
    } finally {
      c.close();
    }
  });
});

describe('HTTP/1.0 and streamed responses (streaming app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'streaming.py')]);
  });
  after(() => stopServer(server));

  it('sends a response without Content-Length to an HTTP/1.0 client unchunked, ended by closing', async () => {
    const { data } = await rawExchange(server.port, 'GET /chunks?n=4&size=5 HTTP/1.0\r\nHost: x\r\n\r\n');
    const [r, ...rest] = parseAll(data);
    assert.equal(r!.statusCode, 200);
    assert.equal(r!.chunked, false, 'Transfer-Encoding: chunked must not be sent to HTTP/1.0');
    assert.equal(header(r!, 'transfer-encoding'), undefined);
    assert.equal(r!.body.toString(), 'aaaaabbbbbcccccddddd');
    assert.equal(rest.length, 0);
  });

  it('closes even a keep-alive HTTP/1.0 connection when the length is unknown', async () => {
    const { data } = await rawExchange(server.port, 'GET /chunks?n=2&size=3 HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const [r] = parseAll(data);
    assert.equal(r!.chunked, false);
    assert.equal(r!.body.toString(), 'aaabbb');
  });
});

describe('pipelining with two workers (slow app, -p 2)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'slow.py'), '-p', '2']);
  });
  after(() => stopServer(server));

  it('keeps the order of the responses when a later request finishes first', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /?sleep=1&id=first HTTP/1.1\r\nHost: x\r\n\r\nGET /?sleep=0&id=second HTTP/1.1\r\nHost: x\r\n\r\n');
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      assert.equal(r1.body.toString(), 'slept 1 (first)');
      assert.equal(r2.body.toString(), 'slept 0 (second)');
    } finally {
      c.close();
    }
  });
});

describe('idle keep-alive timeout (--http-keepalive=2; =1 would mean "on, default timeout" as in uWSGI)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--http-keepalive=2']);
  });
  after(() => stopServer(server));

  it('closes an idle kept-alive connection after the timeout', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse();
      assert.equal(r.statusCode, 200);
      assert.equal(await c.waitEnded(8_000), true, 'the idle connection was closed within 8 s of a 2 s keep-alive timeout');
    } finally {
      c.close();
    }
  });
});
