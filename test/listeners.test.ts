// Which listener each option makes, and what each speaks: `--socket :PORT --protocol=http` (the
// classic tutorial's first test command) and --http-socket serve HTTP, on TCP or a unix socket;
// every kind of listener at once; the listen backlog checked against net.core.somaxconn.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, runToExit, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, json, stopServer, tempDir, type Echo } from './helpers/wire.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

/** GET over HTTP on a unix socket; resolves with the status and the parsed echo. */
function httpOverUnix(socketPath: string, target: string, agent: http.Agent | false = false): Promise<{ status: number; echo: Echo }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: target, headers: { Host: 'unix' }, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, echo: json<Echo>(Buffer.concat(parts)) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('--socket with --protocol=http', () => {
  let server: RunningServer;
  before(async () => {
    // the tutorial's `uwsgi --socket 0.0.0.0:5000 --protocol=http -w wsgi:app`, on a free port
    server = await startServer(['--socket', ':0', '--protocol=http', '-w', 'echo:application'], { cwd: fixtureApps });
  });
  after(() => stopServer(server));

  it('listens as HTTP and serves a browser', async () => {
    assert.match(server.output(), /HTTP listening on 0\.0\.0\.0:\d+/);
    assert.doesNotMatch(server.output(), /uwsgi listening/);
    const r = await httpRequest(`${server.url}/tutorial`);
    assert.equal(r.status, 200);
    assert.equal(json<Echo>(r.body).path, '/tutorial');
  });
});

describe('--http-socket on a unix socket and on TCP', () => {
  const dir = tempDir();
  const socketPath = path.join(dir, 'http.sock');
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http-socket', socketPath, '--http-socket', '127.0.0.1:0', '--wsgi-file', echoApp]);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('logs the path and the address', () => {
    assert.ok(server.output().includes(`HTTP listening on ${socketPath}\n`));
    assert.match(server.output(), /HTTP listening on 127\.0\.0\.1:\d+\n/);
  });

  it('serves HTTP on the unix socket; SERVER_PORT is 80 and REMOTE_ADDR empty, as in uWSGI', async () => {
    const { status, echo } = await httpOverUnix(socketPath, '/over-unix?a=1');
    assert.equal(status, 200);
    assert.equal(echo.path, '/over-unix');
    assert.equal(echo.cgi.SERVER_PORT, '80');
    assert.equal(echo.cgi.REMOTE_ADDR, '');
    assert.equal('REMOTE_PORT' in echo.cgi, false);
    assert.equal(echo.wsgi['wsgi.url_scheme']!.value, 'http');
  });

  it('keeps connections on the unix socket alive', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await httpOverUnix(socketPath, '/one', agent);
      const second = await httpOverUnix(socketPath, '/two', agent);
      assert.equal(first.status, 200);
      assert.equal(second.echo.path, '/two');
    } finally {
      agent.destroy();
    }
  });

  it('serves HTTP on TCP', async () => {
    const r = await httpRequest(`${server.url}/over-tcp`);
    assert.equal(json<Echo>(r.body).cgi.SERVER_PORT, String(server.port));
  });
});

describe('every kind of listener at once', () => {
  const dir = tempDir();
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--http-socket', path.join(dir, 'h.sock'), '--socket', path.join(dir, 'u.sock'),
      '--uwsgi-socket', '[::1]:0', '--wsgi-file', echoApp]);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('binds them in order: --http, --http-socket, --socket, --uwsgi-socket', () => {
    const lines = server.output().split('\n').filter((line) => line.includes(' listening on '));
    assert.equal(lines.length, 4, server.output());
    assert.match(lines[0]!, /^HTTP listening on 127\.0\.0\.1:\d+$/);
    assert.equal(lines[1], `HTTP listening on ${path.join(dir, 'h.sock')}`);
    assert.equal(lines[2], `uwsgi listening on ${path.join(dir, 'u.sock')}`);
    assert.match(lines[3]!, /^uwsgi listening on \[::1\]:\d+$/);
  });

  it('serves on each', async () => {
    assert.equal((await httpRequest(`${server.url}/a`)).status, 200);
    assert.equal((await httpOverUnix(path.join(dir, 'h.sock'), '/b')).status, 200);
    assert.equal((await uwsgiRequest({ path: path.join(dir, 'u.sock') }, nginxVars({ uri: '/c' }))).statusCode, 200);
    const v6 = await uwsgiRequest(uwsgiTarget(server, 1), nginxVars({ uri: '/d' }));
    assert.equal(json<Echo>(v6.body).path, '/d');
  });
});

describe('listener startup errors', () => {
  it('a --listen above net.core.somaxconn names both numbers', async (t) => {
    let somaxconn: number;
    try {
      somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    } catch {
      t.skip('no /proc/sys/net/core/somaxconn here');
      return;
    }
    const result = await runToExit(['--socket', '127.0.0.1:0', '--listen', String(somaxconn + 1), '--wsgi-file', echoApp]);
    assert.equal(result.code, 1);
    assert.ok(result.output.includes(`--listen ${somaxconn + 1}: the listen queue size is greater than the system maximum ` +
      `net.core.somaxconn (${somaxconn})`), result.output);
  });

  it('--listen within the limit is used as the backlog', async () => {
    const server = await startServer(['--socket', '127.0.0.1:0', '--listen', '16', '--wsgi-file', echoApp]);
    try {
      assert.equal((await uwsgiRequest(uwsgiTarget(server), nginxVars())).statusCode, 200);
    } finally {
      await stopServer(server);
    }
  });

  for (const [spec, message] of [
    ['@', "--socket '@' names no abstract socket (expected @name, e.g. @myapp)"],
    ['127.0.0.1:99999', "--socket '127.0.0.1:99999' has no valid port (expected HOST:PORT with a port from 0 to 65535)"],
    ['3031', "--socket '3031' would be a unix socket file named 3031: for TCP port 3031 write :3031 (for the file, ./3031)"],
  ]) {
    it(`--socket ${spec} is refused: ${message}`, async () => {
      const result = await runToExit(['--socket', spec!, '--wsgi-file', echoApp]);
      assert.equal(result.code, 1);
      assert.ok(result.output.includes(message!), result.output);
    });
  }

  it('a port in use is refused, naming the option', async () => {
    const server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', echoApp]);
    try {
      const { port } = uwsgiTarget(server) as { port: number };
      const result = await runToExit(['--uwsgi-socket', `127.0.0.1:${port}`, '--wsgi-file', echoApp]);
      assert.equal(result.code, 1);
      assert.match(result.output, new RegExp(`cannot listen on --uwsgi-socket 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      await stopServer(server);
    }
  });
});
