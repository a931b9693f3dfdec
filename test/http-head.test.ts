// HEAD gets the headers and never a body, whatever the app returns.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { RawClient, header, httpRequest, json, stopServer, type Echo } from './helpers/wire.ts';

describe('HEAD (echo app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
  });
  after(() => stopServer(server));

  it('answers HEAD with the headers and no body bytes on the wire', async () => {
    const c = await RawClient.connect(server.port);
    try {
      // The GET pipelined right after the HEAD can only be parsed if the HEAD response had no body.
      c.write('HEAD /head HTTP/1.1\r\nHost: x\r\n\r\nGET /after-head HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse({ head: true });
      assert.equal(r.statusCode, 200);
      assert.equal(header(r, 'content-type'), 'application/json');
      const next = await c.readResponse();
      assert.equal(next.statusCode, 200, `the bytes after the HEAD response were not the next response:\n${next.headText}`);
      assert.equal(json<Echo>(next.body).path, '/after-head');
    } finally {
      c.close();
    }
  });

  it('gives node:http an empty body for HEAD', async () => {
    const r = await httpRequest(`${server.url}/head2`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers['content-type'], 'application/json');
  });
});

describe('HEAD (streaming app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'streaming.py')]);
  });
  after(() => stopServer(server));

  it('sends no chunk bytes for HEAD of a streamed response', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('HEAD /chunks?n=3&size=100 HTTP/1.1\r\nHost: x\r\n\r\nGET /chunks?n=1&size=2 HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse({ head: true });
      assert.equal(r.statusCode, 200);
      const next = await c.readResponse();
      assert.equal(next.statusCode, 200, `the bytes after the HEAD response were not the next response:\n${next.headText}`);
      assert.equal(next.body.toString(), 'aa');
    } finally {
      c.close();
    }
  });

  it('keeps the declared Content-Length of a HEAD response and sends no body', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('HEAD /chunks?n=2&size=50&cl=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /chunks?n=1&size=1 HTTP/1.1\r\nHost: x\r\n\r\n');
      const r = await c.readResponse({ head: true });
      assert.equal(header(r, 'content-length'), '100');
      const next = await c.readResponse();
      assert.equal(next.body.toString(), 'a');
    } finally {
      c.close();
    }
  });

  it('answers HEAD of a 64 MiB download and stays usable', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write(`HEAD /download?bytes=${64 * 1024 * 1024}&cl=1 HTTP/1.1\r\nHost: x\r\n\r\n`);
      const r = await c.readResponse({ head: true, timeoutMs: 10_000 });
      assert.equal(r.statusCode, 200);
      assert.equal(header(r, 'content-length'), String(64 * 1024 * 1024));
      c.write('GET /chunks?n=1&size=4 HTTP/1.1\r\nHost: x\r\n\r\n');
      const next = await c.readResponse({ timeoutMs: 15_000 });
      assert.equal(next.statusCode, 200, `the bytes after the HEAD response were not the next response:\n${next.headText}`);
      assert.equal(next.body.toString(), 'aaaa');
    } finally {
      c.close();
    }
  });
});
