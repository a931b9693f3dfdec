// `--http-to-https ADDR[,PORT]`: an HTTP listener that answers every request with a 301 to the same
// URL over https, on PORT when given: the Host header's host, the request target as sent. The app
// sees none of these requests; the HTTP front's rules still apply (a malformed request gets its 400).
// Each answer gets its request line, as the master's own answers do, under the same log options.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, rawExchange, stopServer } from './helpers/wire.ts';

const REDIRECTING = /HTTP listening on 127\.0\.0\.1:(\d+) \(every request redirected to https\)/g;

/** The request line of a redirect, answered by the master alone (pid 0, as its other answers). */
function redirectLine(target: string, status: number): RegExp {
  const escaped = target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^\\[pid: 0\\|app: 0\\|req: 0/\\d+\\] 127\\.0\\.0\\.1 \\(\\) \\{\\d+ vars in \\d+ bytes\\} \\[[^\\]]+\\] ` +
    `GET ${escaped} => generated \\d+ bytes in \\d+ msecs \\(HTTP/1\\.[01] ${status}\\) \\d+ headers in \\d+ bytes \\(1 switches on core 0\\)$`, 'm');
}

describe('--http-to-https', () => {
  let server: RunningServer;
  /** With a port (8443), and without. */
  let withPort: number;
  let withoutPort: number;
  /** The same redirect with --disable-logging and --log-4xx. */
  let quiet: RunningServer;
  let quietPort: number;
  before(async () => {
    server = await startServer(['--http-to-https', '127.0.0.1:0,8443', '--http-to-https', '127.0.0.1:0',
      '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
    [withPort, withoutPort] = [...server.output().matchAll(REDIRECTING)].map((m) => Number(m[1]));
    quiet = await startServer(['--http-to-https', '127.0.0.1:0', '--disable-logging', '--log-4xx',
      '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
    quietPort = Number([...quiet.output().matchAll(REDIRECTING)][0][1]);
  });
  after(() => Promise.all([stopServer(server), stopServer(quiet)]));

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
    // a worker's request line names its pid; the master's own answers, pid 0
    assert.doesNotMatch(server.output(), /\[pid: [1-9]\d*\|app: 0\|req: /, 'no request went to the worker');
  });

  it('writes the request line of each answer, as for the answers the master makes itself', async () => {
    const r = await httpRequest(`http://127.0.0.1:${withPort}/logged?n=1`, { headers: { Host: 'example.com' } });
    assert.equal(r.status, 301);
    const [line] = await server.waitForOutput(redirectLine('/logged?n=1', 301));
    assert.match(line, / => generated 22 bytes in \d+ msecs \(HTTP\/1\.1 301\) 3 headers in /, 'the body and the head that went out');
    await rawExchange(withoutPort, 'GET /no-host HTTP/1.0\r\n\r\n');
    await server.waitForOutput(redirectLine('/no-host', 400));
  });

  it('follows --disable-logging and its filters, as the other request lines do', async () => {
    assert.equal((await httpRequest(`http://127.0.0.1:${quietPort}/quiet`, { headers: { Host: 'example.com' } })).status, 301);
    // --log-4xx logs the 400 that comes after it: by then the 301's line would have been written
    await rawExchange(quietPort, 'GET /loud HTTP/1.0\r\n\r\n');
    await quiet.waitForOutput(redirectLine('/loud', 400));
    assert.doesNotMatch(quiet.output(), /GET \/quiet =>/);
  });
});
