// The WSGI environ (PEP 3333 "environ Variables"), as the echo app sees it. The app is wrapped in
// wsgiref.validate, so every key without a dot is already checked to be a str.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { RawClient, httpRequest, json, parseAll, rawExchange, stopServer, type Echo } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

async function rawEcho(port: number, request: string): Promise<{ echo: Echo; localPort: number }> {
  const c = await RawClient.connect(port);
  try {
    c.write(request);
    const r = await c.readResponse();
    assert.equal(r.statusCode, 200, `expected 200, got:\n${r.headText}${r.body.toString('latin1').slice(0, 2000)}`);
    return { echo: json<Echo>(r.body), localPort: c.socket.localPort! };
  } finally {
    c.close();
  }
}

describe('PEP 3333 environ (echo app, one worker)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it('has every CGI key with the right value', async () => {
    const { echo, localPort } = await rawEcho(server.port,
      `GET /env/path?x=1&y=%20z HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Custom-Header: value\r\nUser-Agent: nuwsgi-test\r\n\r\n`);
    const e = echo.cgi;
    assert.equal(e.REQUEST_METHOD, 'GET');
    assert.equal(e.SCRIPT_NAME, '');
    assert.equal(e.PATH_INFO, '/env/path');
    assert.equal(e.QUERY_STRING, 'x=1&y=%20z');
    assert.equal(e.REQUEST_URI, '/env/path?x=1&y=%20z');
    assert.equal(typeof e.SERVER_NAME, 'string');
    assert.ok(e.SERVER_NAME!.length > 0, 'SERVER_NAME is not empty');
    assert.ok(!/:\d+$/.test(e.SERVER_NAME!), `SERVER_NAME carries no port: ${e.SERVER_NAME}`);
    assert.equal(e.SERVER_PORT, String(server.port));
    assert.equal(e.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(e.REMOTE_ADDR, '127.0.0.1');
    assert.equal(e.REMOTE_PORT, String(localPort));
    assert.equal(e.HTTP_HOST, `127.0.0.1:${server.port}`);
    assert.equal(e.HTTP_X_CUSTOM_HEADER, 'value');
    assert.equal(e.HTTP_USER_AGENT, 'nuwsgi-test');
    assert.ok(e.CONTENT_TYPE === undefined || e.CONTENT_TYPE === '', `CONTENT_TYPE without a body: ${e.CONTENT_TYPE}`);
    assert.ok(e.CONTENT_LENGTH === undefined || e.CONTENT_LENGTH === '' || e.CONTENT_LENGTH === '0',
      `CONTENT_LENGTH without a body: ${e.CONTENT_LENGTH}`);
    for (const [k, v] of Object.entries(e)) assert.equal(typeof v, 'string', `${k} is a str`);
    assert.equal('HTTP_CONTENT_TYPE' in e, false);
    assert.equal('HTTP_CONTENT_LENGTH' in e, false);
  });

  it('has the wsgi.* keys with the right types and values', async () => {
    const { echo } = await rawEcho(server.port, 'GET /wsgi HTTP/1.1\r\nHost: x\r\n\r\n');
    const w = echo.wsgi;
    assert.deepEqual(w['wsgi.version'], { type: 'tuple', value: [1, 0] });
    assert.deepEqual(w['wsgi.url_scheme'], { type: 'str', value: 'http' });
    assert.deepEqual(w['wsgi.multithread'], { type: 'bool', value: false }, 'one thread per worker by default');
    assert.equal(w['wsgi.multiprocess']?.type, 'bool');
    assert.deepEqual(w['wsgi.run_once'], { type: 'bool', value: false });
    assert.deepEqual(w['wsgi.input_terminated'], { type: 'bool', value: true });
    assert.ok(w['wsgi.input']?.inner_type, 'wsgi.input is there');
    assert.ok(w['wsgi.errors']?.inner_type, 'wsgi.errors is there');
  });

  it('has CONTENT_TYPE and CONTENT_LENGTH for a body, and no HTTP_ twins', async () => {
    const body = 'a=1&b=2';
    const r = await httpRequest(`${server.url}/form`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length }, body,
    });
    const echo = json<Echo>(r.body);
    assert.equal(echo.cgi.REQUEST_METHOD, 'POST');
    assert.equal(echo.cgi.CONTENT_TYPE, 'application/x-www-form-urlencoded');
    assert.equal(echo.cgi.CONTENT_LENGTH, String(body.length));
    assert.equal('HTTP_CONTENT_TYPE' in echo.cgi, false);
    assert.equal('HTTP_CONTENT_LENGTH' in echo.cgi, false);
    assert.equal(echo.body, body);
  });

  it('percent-decodes PATH_INFO as latin-1 and keeps REQUEST_URI and QUERY_STRING raw', async () => {
    const cases: Array<[string, string]> = [
      ['/caf%C3%A9', '/caf\u00c3\u00a9'],
      ['/a%20b', '/a b'],
      ['/a%2Fb', '/a/b'],
      ['/%E2%82%AC', '/\u00e2\u0082\u00ac'],
      ['/plus+sign', '/plus+sign'],
      ['/%7Euser/%41', '/~user/A'],
    ];
    for (const [target, pathInfo] of cases) {
      const { echo } = await rawEcho(server.port, `GET ${target}?q=caf%C3%A9&p=a+b HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.equal(echo.cgi.PATH_INFO, pathInfo, `PATH_INFO of ${target}`);
      assert.equal(echo.cgi.REQUEST_URI, `${target}?q=caf%C3%A9&p=a+b`, `REQUEST_URI of ${target}`);
      assert.equal(echo.cgi.QUERY_STRING, 'q=caf%C3%A9&p=a+b', `QUERY_STRING of ${target}`);
    }
  });

  it('answers 400 to a path with %00 without reaching the app', async () => {
    const { data } = await rawExchange(server.port, 'GET /nul%00byte HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const [r] = parseAll(data);
    assert.equal(r!.statusCode, 400);
  });

  it('joins repeated headers with ", " in order', async () => {
    const { echo } = await rawEcho(server.port,
      'GET /multi HTTP/1.1\r\nHost: x\r\nX-Multi: a\r\nAccept: text/html\r\nX-Multi: b\r\nAccept: application/json\r\nX-Multi: c\r\n\r\n');
    assert.equal(echo.cgi.HTTP_X_MULTI, 'a, b, c');
    assert.equal(echo.cgi.HTTP_ACCEPT, 'text/html, application/json');
  });

  it('names HTTP_* keys in upper case with - turned into _', async () => {
    const { echo } = await rawEcho(server.port, 'GET /names HTTP/1.1\r\nHost: x\r\nx-MiXeD-case-Name: v1\r\nDNT: 1\r\n\r\n');
    assert.equal(echo.cgi.HTTP_X_MIXED_CASE_NAME, 'v1');
    assert.equal(echo.cgi.HTTP_DNT, '1');
  });

  it('gives the method of other requests (PUT, DELETE, PATCH, OPTIONS)', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await httpRequest(`${server.url}/m`, { method });
      assert.equal(json<Echo>(r.body).cgi.REQUEST_METHOD, method);
    }
  });

  it('sets SERVER_PROTOCOL to HTTP/1.0 for an HTTP/1.0 request', async () => {
    const { data } = await rawExchange(server.port, 'GET /ten HTTP/1.0\r\nHost: x\r\n\r\n');
    const [r] = parseAll(data);
    assert.equal(json<Echo>(r!.body).cgi.SERVER_PROTOCOL, 'HTTP/1.0');
  });

  it('takes PATH_INFO and QUERY_STRING from an absolute-form request target', async () => {
    const { echo } = await rawEcho(server.port, 'GET http://example.com/abs/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n');
    assert.equal(echo.cgi.PATH_INFO, '/abs/path');
    assert.equal(echo.cgi.QUERY_STRING, 'q=1');
  });

  it('sends what the app writes to wsgi.errors to the server output', async () => {
    const marker = 'wsgi-errors-marker-' + randomBytes(6).toString('hex');
    const r = await httpRequest(`${server.url}/err?stderr=${marker}`);
    assert.equal(r.status, 200);
    await server.waitForOutput(new RegExp(marker), 5_000);
  });
});

describe('PEP 3333 environ with two workers (-p 2)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '-p', '2']);
  });
  after(() => stopServer(server));

  it('sets wsgi.multiprocess to True', async () => {
    const r = await httpRequest(`${server.url}/mp`);
    const echo = json<Echo>(r.body);
    assert.deepEqual(echo.wsgi['wsgi.multiprocess'], { type: 'bool', value: true });
    assert.deepEqual(echo.wsgi['wsgi.run_once'], { type: 'bool', value: false });
  });
});
