// --limit-post caps the request body: a larger declared length gets 413 before any worker sees the
// request and without reading the body (HTTP and uwsgi); a chunked body that grows past it stops
// the request and gets 413 too. A log line names the limit and the option.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget, exchange, encodePacket } from './helpers/uwsgi-client.ts';
import { RawClient, connectionHas, header, httpRequest, json, parseResponse, stopServer, waitFor } from './helpers/wire.ts';

const gatedApp = path.join(fixtureApps, 'gated.py');

function post(target: string, length: number, extra = ''): string {
  return `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}

describe('--limit-post 1000', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', gatedApp,
      '--limit-post', '1000']);
  });
  after(() => stopServer(server));

  /** Whether the app was called for request `id` (it logs every request it starts). */
  const appSaw = (id: string) => server.output().includes(`gated request ${id} started`);

  it('serves a body of exactly the limit', async () => {
    const r = await httpRequest(`${server.url}/?id=exact`, { method: 'POST', body: Buffer.alloc(1000, 'a') });
    assert.equal(r.status, 200);
    assert.equal(json<{ bytes: number }>(r.body).bytes, 1000);
  });

  it('answers 413 to a larger Content-Length, logs the limit, and keeps a connection whose small body it discards', async () => {
    const mark = server.output().length;
    const c = await RawClient.connect(server.port);
    try {
      c.write(post('/?id=over', 1001) + 'b'.repeat(1001));
      const r = await c.readResponse();
      assert.equal(r.statusCode, 413, r.headText);
      assert.equal(connectionHas(r, 'close'), false, r.headText);
      c.write('GET /?id=next HTTP/1.1\r\nHost: x\r\n\r\n');
      const next = await c.readResponse();
      assert.equal(next.statusCode, 200, next.headText);
    } finally {
      c.close();
    }
    await waitFor(() => /POST \/\?id=over: request body of 1001 bytes exceeds limit-post \(1000\): answered 413; raise it with --limit-post/
      .test(server.output().slice(mark)), 5_000, 'the log line');
    assert.equal(appSaw('over'), false, 'the app was called');
  });

  it('answers 413 at once to a large body it has not received, and closes the connection', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write(post('/?id=huge', 10_000_000) + 'c'.repeat(1000));
      const r = await c.readResponse();
      assert.equal(r.statusCode, 413, r.headText);
      assert.equal(connectionHas(r, 'close'), true, r.headText);
      assert.equal(await c.waitEnded(), true, 'the connection stays open');
    } finally {
      c.close();
    }
    assert.equal(appSaw('huge'), false, 'the app was called');
  });

  it('answers 413 instead of 100 Continue', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write(post('/?id=expect', 2000, 'Expect: 100-continue\r\n'));
      const r = await c.readResponse();
      assert.equal(r.statusCode, 413, r.headText);
      assert.equal(connectionHas(r, 'close'), true, r.headText);
    } finally {
      c.close();
    }
  });

  it('stops a chunked body that grows past the limit with 413', async () => {
    const mark = server.output().length;
    const c = await RawClient.connect(server.port);
    try {
      c.write('POST /?id=chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      for (let i = 0; i < 3; i++) c.write(`258\r\n${'d'.repeat(600)}\r\n`);
      const r = await c.readResponse();
      assert.equal(r.statusCode, 413, r.headText);
      assert.equal(connectionHas(r, 'close'), true, r.headText);
    } finally {
      c.close();
    }
    await waitFor(() => /request body of more than 1000 bytes exceeds limit-post \(1000\): answered 413/.test(server.output().slice(mark)),
      5_000, 'the log line');
    const r = await httpRequest(`${server.url}/?id=after-chunked`);
    assert.equal(r.status, 200);
  });

  it('serves a chunked body within the limit', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write(`POST /?id=small-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1f4\r\n${'e'.repeat(500)}\r\n0\r\n\r\n`);
      const r = await c.readResponse();
      assert.equal(r.statusCode, 200, r.headText);
      assert.equal(json<{ bytes: number }>(r.body).bytes, 500);
    } finally {
      c.close();
    }
  });

  it('answers 413 over uwsgi to a larger CONTENT_LENGTH, with the body sent or not', async () => {
    const mark = server.output().length;
    const withBody = await uwsgiRequest(uwsgiTarget(server),
      nginxVars({ method: 'POST', uri: '/?id=uwsgi-over', contentLength: 1001 }), Buffer.alloc(1001, 'f'));
    assert.equal(withBody.statusCode, 413, withBody.headText);
    assert.match(withBody.headText, /^HTTP\/1\.1 413 /);
    await waitFor(() => /request body of 1001 bytes exceeds limit-post \(1000\): answered 413; raise it with --limit-post/
      .test(server.output().slice(mark)), 5_000, 'the log line');

    const { data } = await exchange(uwsgiTarget(server),
      [encodePacket(nginxVars({ method: 'POST', uri: '/?id=uwsgi-huge', contentLength: 10_000_000 })), 'g'.repeat(100)],
      { halfClose: true });
    const parsed = parseResponse(data, { eof: true });
    assert.equal(parsed?.response.statusCode, 413);
    assert.equal(appSaw('uwsgi-over') || appSaw('uwsgi-huge'), false, 'the app was called');

    const within = await uwsgiRequest(uwsgiTarget(server),
      nginxVars({ method: 'POST', uri: '/?id=uwsgi-ok', contentLength: 1000 }), Buffer.alloc(1000, 'h'));
    assert.equal(within.statusCode, 200, within.headText);
    assert.equal(header(within, 'content-type'), 'application/json');
  });
});
