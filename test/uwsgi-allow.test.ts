// --uwsgi-allow: the uwsgi protocol lets the peer set every CGI variable (REMOTE_ADDR, HTTPS...),
// so a TCP uwsgi socket only serves the peers listed, loopback by default. A refused peer gets a
// log line and a closed connection; unix sockets are always served.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { stopServer, tempDir, waitFor } from './helpers/wire.ts';
import { encodePacket, exchange, nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

/** An IPv4 address of this machine that is not loopback, to connect from something other than 127.0.0.1. */
const externalAddress = Object.values(os.networkInterfaces()).flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

/** The port of the first uwsgi listener in the log. */
function portOf(server: RunningServer): number {
  return (uwsgiTarget(server) as { port: number }).port;
}

async function expectServed(host: string, port: number): Promise<void> {
  const r = await uwsgiRequest({ host, port }, nginxVars({ uri: '/allowed' }));
  assert.equal(r.statusCode, 200);
}

async function expectRefused(server: RunningServer, host: string, port: number, peer: string): Promise<void> {
  const mark = server.output().length;
  const { data } = await exchange({ host, port }, [encodePacket(nginxVars({ uri: '/refused' }))]);
  assert.equal(data.length, 0, 'no response to a refused peer');
  await waitFor(() => server.output().slice(mark).includes(`uwsgi connection from ${peer} on `) &&
    server.output().slice(mark).includes('refused: the peer is not in --uwsgi-allow'), 5_000, 'the log line');
  assert.doesNotMatch(server.output().slice(mark), /GET \/refused/, 'the request never reached the app');
}

describe('--uwsgi-allow by default: loopback only', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--socket', '0.0.0.0:0', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it('serves 127.0.0.1', async () => {
    await expectServed('127.0.0.1', portOf(server));
  });

  it('refuses a peer on another address of this machine', { skip: externalAddress === undefined && 'no non-loopback IPv4 address' }, async () => {
    await expectRefused(server, externalAddress!, portOf(server), externalAddress!);
  });
});

describe('--uwsgi-allow with a network', () => {
  const dir = tempDir();
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--socket', '0.0.0.0:0', '--socket', path.join(dir, 'app.sock'), '--http', '127.0.0.1:0',
      '--uwsgi-allow', `${externalAddress ?? '192.0.2.1'}/32`, '--wsgi-file', echoApp]);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves a peer in the network', { skip: externalAddress === undefined && 'no non-loopback IPv4 address' }, async () => {
    await expectServed(externalAddress!, portOf(server));
  });

  it('refuses loopback, which the list replaced', async () => {
    await expectRefused(server, '127.0.0.1', portOf(server), '127.0.0.1');
  });

  it('always serves the unix socket', async () => {
    const r = await uwsgiRequest({ path: path.join(dir, 'app.sock') }, nginxVars({ uri: '/unix' }));
    assert.equal(r.statusCode, 200);
  });

  it('does not apply to HTTP listeners', async () => {
    const r = await fetch(`${server.url}/http`);
    assert.equal(r.status, 200);
  });
});

describe('--uwsgi-allow on a dual-stack socket', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--socket', '[::]:0', '--uwsgi-allow', '127.0.0.1', '--wsgi-file', echoApp]);
  });
  after(() => stopServer(server));

  it('matches an IPv4 peer (seen as ::ffff:127.0.0.1) against an IPv4 entry', async () => {
    await expectServed('127.0.0.1', portOf(server));
  });

  it('refuses ::1, which is not listed', async () => {
    await expectRefused(server, '::1', portOf(server), '::1');
  });
});
