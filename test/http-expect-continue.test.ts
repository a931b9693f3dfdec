// Expect: 100-continue. The master answers `100 Continue` when the app first reads wsgi.input
// (docs/channel.md, flow control), and an app that answers without reading still answers.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { RawClient, json, sha256, stopServer, type Echo } from './helpers/wire.ts';

describe('Expect: 100-continue (echo app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
  });
  after(() => stopServer(server));

  it('sends 100 Continue before the body is sent, when the app reads it', async () => {
    const body = 'the body after 100';
    const c = await RawClient.connect(server.port);
    try {
      c.write(`POST /continue HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
      const interim = await c.readResponse({ timeoutMs: 8_000 });
      assert.equal(interim.statusCode, 100, `expected 100 Continue first, got:\n${interim.headText}`);
      c.write(body);
      const { interim: more, response } = await c.readFinalResponse();
      assert.equal(more.length, 0, 'a single 100 Continue');
      assert.equal(response.statusCode, 200);
      const echo = json<Echo>(response.body);
      assert.equal(echo.body, body);
      assert.equal(echo.cgi.HTTP_EXPECT ?? '100-continue', '100-continue');
    } finally {
      c.close();
    }
  });

  it('answers an app that does not read the body without 100 Continue and without the body', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('POST /noread?noread=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n');
      const { interim, response } = await c.readFinalResponse({ timeoutMs: 8_000 });
      assert.deepEqual(interim.map((r) => r.statusCode), [], 'no 100 Continue: the app never read wsgi.input');
      assert.equal(response.statusCode, 200);
      const echo = json<Echo>(response.body);
      assert.equal(echo.path, '/noread');
      assert.equal(echo.body_len, 0);
    } finally {
      c.close();
    }
  });

  it('still serves the connection correctly when the client sends the body anyway', async () => {
    // RFC 9110 §10.1.1: a client may send the body without waiting for 100 Continue.
    const body = 'x'.repeat(5000);
    const c = await RawClient.connect(server.port);
    try {
      c.write(`POST /eager HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n${body}`);
      const { response } = await c.readFinalResponse();
      assert.equal(json<Echo>(response.body).body_len, body.length);
      c.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
      const { response: next } = await c.readFinalResponse();
      assert.equal(json<Echo>(next.body).path, '/next');
    } finally {
      c.close();
    }
  });

  it('works with node:http waiting for the continue event (1 MiB body)', async () => {
    const body = Buffer.alloc(1024 * 1024, 'z');
    const result = await new Promise<{ status: number; continued: boolean; echo: Echo }>((resolve, reject) => {
      let continued = false;
      const req = http.request(`${server.url}/node-continue`, {
        method: 'POST', agent: false,
        headers: { 'Content-Length': body.length, Expect: '100-continue' },
      }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode!, continued, echo: json<Echo>(Buffer.concat(parts)) }));
      });
      const timer = setTimeout(() => req.destroy(new Error('no response within 15 s')), 15_000);
      req.on('close', () => clearTimeout(timer));
      req.on('error', reject);
      req.on('continue', () => { continued = true; req.end(body); });
    });
    assert.equal(result.continued, true);
    assert.equal(result.status, 200);
    assert.equal(result.echo.body_len, body.length);
    assert.equal(result.echo.body_sha256, sha256(body));
  });
});
