// --trusted-proxy: X-Forwarded-For (→ REMOTE_ADDR, the rightmost address that is not a trusted
// proxy) and X-Forwarded-Proto (→ wsgi.url_scheme) are believed only when the direct peer is a
// listed proxy: the socket peer on HTTP listeners, the REMOTE_ADDR nginx sends on uwsgi ones.
// uWSGI believes X-Forwarded-Proto from anyone; nuwsgi by default believes no one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, json, stopServer, tempDir, waitFor, type Echo } from './helpers/wire.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

interface Seen {
  remoteAddr: string | undefined;
  scheme: unknown;
  forwardedFor: string | undefined;
}

function seen(echo: Echo): Seen {
  return { remoteAddr: echo.cgi.REMOTE_ADDR, scheme: echo.wsgi['wsgi.url_scheme']!.value, forwardedFor: echo.cgi.HTTP_X_FORWARDED_FOR };
}

async function overHttp(server: RunningServer, headers: Record<string, string>): Promise<Seen> {
  const r = await httpRequest(`${server.url}/proxied`, { headers });
  assert.equal(r.status, 200);
  return seen(json<Echo>(r.body));
}

/** A request nginx forwards over uwsgi: REMOTE_ADDR is nginx's peer, the headers are the client's. */
async function overUwsgi(server: RunningServer, remoteAddr: string, headers: Array<[string, string]>, https = false): Promise<Seen> {
  const r = await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/proxied', remoteAddr, https, headers: [['Host', 'x'], ...headers] }));
  assert.equal(r.statusCode, 200);
  return seen(json<Echo>(r.body));
}

function overUnixHttp(socketPath: string, headers: Record<string, string>): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/unix', headers: { Host: 'x', ...headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve(seen(json<Echo>(Buffer.concat(parts)))));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('without --trusted-proxy', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it('HTTP: X-Forwarded-For and X-Forwarded-Proto reach the app as headers and change nothing', async () => {
    assert.deepEqual(await overHttp(server, { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' }),
      { remoteAddr: '127.0.0.1', scheme: 'http', forwardedFor: '203.0.113.7' });
  });

  it('uwsgi: the same, whatever REMOTE_ADDR nginx sends', async () => {
    assert.deepEqual(await overUwsgi(server, '10.0.0.2', [['X-Forwarded-For', '203.0.113.7'], ['X-Forwarded-Proto', 'https']]),
      { remoteAddr: '10.0.0.2', scheme: 'http', forwardedFor: '203.0.113.7' });
  });
});

describe('--trusted-proxy 127.0.0.1 --trusted-proxy 10.0.0.0/8', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', echoApp,
      '--trusted-proxy', '127.0.0.1', '--trusted-proxy', '10.0.0.0/8']);
  });
  after(() => stopServer(server));

  it('HTTP from a trusted peer: REMOTE_ADDR from X-Forwarded-For, the scheme from X-Forwarded-Proto', async () => {
    assert.deepEqual(await overHttp(server, { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' }),
      { remoteAddr: '203.0.113.7', scheme: 'https', forwardedFor: '203.0.113.7' });
  });

  it('takes the rightmost address that is not a trusted proxy', async () => {
    // the client wrote the first entry itself: only what trusted proxies appended counts
    const r = await overHttp(server, { 'X-Forwarded-For': '192.0.2.66, 198.51.100.1, 10.1.2.3' });
    assert.equal(r.remoteAddr, '198.51.100.1');
  });

  it('takes the leftmost when every entry is a trusted proxy', async () => {
    assert.equal((await overHttp(server, { 'X-Forwarded-For': '10.0.0.1, 10.0.0.2' })).remoteAddr, '10.0.0.1');
  });

  it('joins repeated X-Forwarded-For headers in order', async () => {
    const r = await httpRequest(`${server.url}/twice`, { headers: { 'X-Forwarded-For': ['198.51.100.1', '10.9.9.9'] } });
    assert.equal(json<Echo>(r.body).cgi.REMOTE_ADDR, '198.51.100.1');
  });

  it('keeps the peer when X-Forwarded-For holds no address, and the scheme for an unknown protocol', async () => {
    assert.deepEqual(await overHttp(server, { 'X-Forwarded-For': 'unknown', 'X-Forwarded-Proto': 'gopher' }),
      { remoteAddr: '127.0.0.1', scheme: 'http', forwardedFor: 'unknown' });
  });

  it('logs the forwarded client in the request line', async () => {
    await overHttp(server, { 'X-Forwarded-For': '203.0.113.99' });
    await waitFor(() => /\] 203\.0\.113\.99 \(\) \{/.test(server.output()), 5_000, 'the request line');
  });

  it('uwsgi from a trusted REMOTE_ADDR: X-Forwarded-For and X-Forwarded-Proto are believed', async () => {
    assert.deepEqual(await overUwsgi(server, '10.0.0.2', [['X-Forwarded-For', '203.0.113.9'], ['X-Forwarded-Proto', 'https']]),
      { remoteAddr: '203.0.113.9', scheme: 'https', forwardedFor: '203.0.113.9' });
  });

  it('uwsgi from a REMOTE_ADDR that is not trusted: they are not', async () => {
    assert.deepEqual(await overUwsgi(server, '192.0.2.50', [['X-Forwarded-For', '203.0.113.9'], ['X-Forwarded-Proto', 'https']]),
      { remoteAddr: '192.0.2.50', scheme: 'http', forwardedFor: '203.0.113.9' });
  });

  it('uwsgi: X-Forwarded-Proto http from a trusted proxy wins over HTTPS=on', async () => {
    const r = await overUwsgi(server, '10.0.0.2', [['X-Forwarded-Proto', 'http']], true);
    assert.equal(r.scheme, 'http');
  });
});

describe('--trusted-proxy unix on an HTTP unix socket', () => {
  const dir = tempDir();
  let trusting: RunningServer;
  let other: RunningServer;
  before(async () => {
    trusting = await startServer(['--http-socket', path.join(dir, 'trusting.sock'), '--trusted-proxy', 'unix', '--wsgi-file', echoApp]);
    other = await startServer(['--http-socket', path.join(dir, 'other.sock'), '--trusted-proxy', '127.0.0.1', '--wsgi-file', echoApp]);
  });
  after(async () => {
    await stopServer(trusting);
    await stopServer(other);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('believes the proxy on the unix socket', async () => {
    const r = await overUnixHttp(path.join(dir, 'trusting.sock'), { 'X-Forwarded-For': '203.0.113.5', 'X-Forwarded-Proto': 'https' });
    assert.deepEqual(r, { remoteAddr: '203.0.113.5', scheme: 'https', forwardedFor: '203.0.113.5' });
  });

  it('does not without the unix entry', async () => {
    const r = await overUnixHttp(path.join(dir, 'other.sock'), { 'X-Forwarded-For': '203.0.113.5', 'X-Forwarded-Proto': 'https' });
    assert.deepEqual(r, { remoteAddr: '', scheme: 'http', forwardedFor: '203.0.113.5' });
  });
});
