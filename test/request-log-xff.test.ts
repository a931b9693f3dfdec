// log-x-forwarded-for: the address logged is X-Forwarded-For, as sent, for requests whose peer is a
// trusted proxy (--trusted-proxy); for any other peer it is the peer's address, whatever header it sends.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, stopServer } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'log_probe.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

const XFF = '203.0.113.7, 10.0.0.2';

async function addressOf(server: RunningServer, uri: string): Promise<string> {
  const match = await server.waitForOutput(new RegExp(`^ADDR <([^>]*)> ${uri.replace(/\?/g, '\\?')}$`, 'm'));
  return match[1];
}

async function serve(trusted: string, more: string[] = []): Promise<RunningServer> {
  const server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', app,
    '--trusted-proxy', trusted, '--log-format', 'ADDR <%(addr)> %(uri)', ...more]);
  servers.push(server);
  return server;
}

test('from a trusted proxy, the X-Forwarded-For as sent; on both listeners', async () => {
  const server = await serve('127.0.0.1', ['--log-x-forwarded-for']);
  await httpRequest(`${server.url}/a?http`, { headers: { 'X-Forwarded-For': XFF } });
  assert.equal(await addressOf(server, '/a?http'), XFF);
  await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/a?uwsgi', headers: [['Host', 'x'], ['X-Forwarded-For', XFF]] }));
  assert.equal(await addressOf(server, '/a?uwsgi'), XFF);
  // a trusted proxy's request without the header: its address
  await httpRequest(`${server.url}/b?http`);
  assert.equal(await addressOf(server, '/b?http'), '127.0.0.1');
});

test('from a peer that is not a trusted proxy, the peer\'s address', async () => {
  const server = await serve('10.9.9.9', ['--log-x-forwarded-for']);
  await httpRequest(`${server.url}/a?http`, { headers: { 'X-Forwarded-For': XFF } });
  assert.equal(await addressOf(server, '/a?http'), '127.0.0.1');
  await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/a?uwsgi', remoteAddr: '192.0.2.1',
    headers: [['Host', 'x'], ['X-Forwarded-For', XFF]] }));
  assert.equal(await addressOf(server, '/a?uwsgi'), '192.0.2.1');
});

test('without log-x-forwarded-for, the REMOTE_ADDR the app sees (the trusted proxy\'s client)', async () => {
  const server = await serve('127.0.0.1');
  await httpRequest(`${server.url}/a?http`, { headers: { 'X-Forwarded-For': XFF } });
  assert.equal(await addressOf(server, '/a?http'), '10.0.0.2');
  await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/a?uwsgi', headers: [['Host', 'x'], ['X-Forwarded-For', XFF]] }));
  assert.equal(await addressOf(server, '/a?uwsgi'), '10.0.0.2');
});
