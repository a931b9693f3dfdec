// `--http-to-https ADDR[,PORT]`: an HTTP listener that answers every request with a 301 to the same
// URL over https, on PORT when given: the Host header's host, the request target as sent. The app
// sees none of these requests; the HTTP front's rules still apply (a malformed request gets its 400).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, rawExchange, stopServer } from './helpers/wire.ts';

const REDIRECTING = /HTTP listening on 127\.0\.0\.1:(\d+) \(every request redirected to https\)/g;

describe('--http-to-https', () => {
  let server: RunningServer;
  /** With a port (8443), and without. */
  let withPort: number;
  let withoutPort: number;
  before(async () => {
    server = await startServer(['--http-to-https', '127.0.0.1:0,8443', '--http-to-https', '127.0.0.1:0',
      '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
    [withPort, withoutPort] = [...server.output().matchAll(REDIRECTING)].map((m) => Number(m[1]));
  });
  after(() => stopServer(server));

  it('answers 301 to the https URL on the port given', async () => {
    const r = await httpRequest(`http://127.0.0.1:${withPort}/a/b?c=1&d`, { headers: { Host: 'example.com:8080' } });
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://example.com:8443/a/b?c=1&d');
    assert.equal(r.body.toString(), '301 Moved Permanently\n');
  });

  it("keeps the client's host without its port when no port is given", async () => {
    const r = await httpRequest(`http://127.0.0.1:${withoutPort}/x`, { headers: { Host: 'example.com:80' } });
    assert.equal(r.headers.location, 'https://example.com/x');
    const v6 = await httpRequest(`http://127.0.0.1:${withoutPort}/`, { headers: { Host: '[2001:db8::1]:80' } });
    assert.equal(v6.headers.location, 'https://[2001:db8::1]/');
    const head = await httpRequest(`http://127.0.0.1:${withoutPort}/y`, { method: 'HEAD', headers: { Host: 'example.com' } });
    assert.equal(head.status, 301);
    assert.equal(head.headers.location, 'https://example.com/y');
    assert.equal(head.body.length, 0);
  });

  it('refuses an HTTP/1.0 request without Host, which has no URL to go to', async () => {
    const { data } = await rawExchange(withoutPort, 'GET / HTTP/1.0\r\n\r\n');
    assert.match(data.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
    await server.waitForOutput(/GET \/ from 127\.0\.0\.1: no Host header to build the https:\/\/ URL from: answered 400/);
  });

  it('applies the HTTP front rules first, and never reaches the app', async () => {
    const { data } = await rawExchange(withPort, 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
    assert.match(data.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.doesNotMatch(server.output(), /\[pid: \d+\|app: 0\|req: /, 'no request went to the worker');
  });
});
