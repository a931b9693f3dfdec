// --buffer-size caps the request head: a larger head gets 431 and a log line naming the option,
// and the server keeps serving.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { RawClient, httpRequest, json, parseAll, rawExchange, stopServer, waitFor, type Echo } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

/** A GET whose head is about `size` bytes, most of it in one X-Big header. */
function bigHeadRequest(size: number, target = '/big'): string {
  const start = `GET ${target} HTTP/1.1\r\nHost: x\r\nX-Big: `;
  return start + 'a'.repeat(size - start.length - 4) + '\r\n\r\n';
}

async function expectOk(port: number, request: string) {
  const c = await RawClient.connect(port);
  try {
    c.write(request);
    const r = await c.readResponse();
    assert.equal(r.statusCode, 200, `expected 200, got:\n${r.headText}`);
    return json<Echo>(r.body);
  } finally {
    c.close();
  }
}

async function expectRejected(port: number, request: string, statuses = [431]) {
  const { data } = await rawExchange(port, request);
  assert.ok(data.length > 0, 'the server closed the connection without a response');
  const [r] = parseAll(data);
  assert.ok(statuses.includes(r!.statusCode), `expected ${statuses.join(' or ')}, got:\n${r!.headText}`);
}

describe('request head limit, default --buffer-size 4096', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it('accepts a 3000-byte head', async () => {
    const echo = await expectOk(server.port, bigHeadRequest(3000));
    assert.equal(echo.cgi.HTTP_X_BIG!.length > 2900, true);
  });

  it('answers 431 to a 5000-byte head and logs a line naming buffer-size', async () => {
    const mark = server.output().length;
    await expectRejected(server.port, bigHeadRequest(5000));
    await waitFor(() => /buffer-size/.test(server.output().slice(mark)), 5_000, 'a log line naming buffer-size');
  });

  it('answers 431 to many small headers adding up to more than 4096 bytes', async () => {
    let req = 'GET /many HTTP/1.1\r\nHost: x\r\n';
    for (let i = 0; i < 200; i++) req += `X-H${i}: ${'v'.repeat(20)}\r\n`;
    await expectRejected(server.port, req + '\r\n');
  });

  it('rejects a 5000-byte request target (431, or 414)', async () => {
    await expectRejected(server.port, `GET /${'u'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [431, 414]);
  });

  it('keeps serving after rejecting heads', async () => {
    const r = await httpRequest(`${server.url}/still-here`);
    assert.equal(r.status, 200);
    assert.equal(json<Echo>(r.body).path, '/still-here');
  });
});

describe('request head limit, -b 8192', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '-b', '8192']);
  });
  after(() => stopServer(server));

  it('accepts a 6000-byte head', async () => {
    await expectOk(server.port, bigHeadRequest(6000));
  });

  it('answers 431 to a 9000-byte head and logs a line naming buffer-size', async () => {
    const mark = server.output().length;
    await expectRejected(server.port, bigHeadRequest(9000));
    await waitFor(() => /buffer-size/.test(server.output().slice(mark)), 5_000, 'a log line naming buffer-size');
  });

  it('keeps serving', async () => {
    const echo = await expectOk(server.port, bigHeadRequest(7000, '/after'));
    assert.equal(echo.path, '/after');
  });
});
