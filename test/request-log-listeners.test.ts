// A log-format line is the same whichever listener served the request: the HTTP front (the master
// parsed the request), a uwsgi socket (the worker reports the vars the format reads in its
// REQUEST_DONE record), a static file the master sends, and the master's own 413 and 503 answers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, sleep, stopServer, tempDir } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'log_probe.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

const FORMAT = 'LOG addr=%(addr) method=%(method) uri=%(uri) proto=%(proto) status=%(status) rsize=%(rsize) ' +
  'host=%(host) uagent=%(uagent) referer=%(referer) user=%(user) cl=%(cl) id=%(var.HTTP_X_REQUEST_ID) wid=%(wid) ' +
  'headers=%(headers) hsize=%(hsize) rssM=%(rssM)';

/** The LOG line whose uri field is `uri`, parsed into its fields. */
function logged(server: RunningServer, uri: string): Record<string, string> | undefined {
  const line = server.output().split('\n').find((l) => l.startsWith('LOG ') && l.includes(` uri=${uri} `));
  if (line === undefined) return undefined;
  return Object.fromEntries(line.slice(4).split(' ').map((field) => field.split('=', 2) as [string, string]));
}

async function waitLogged(server: RunningServer, uri: string): Promise<Record<string, string>> {
  await server.waitForOutput(new RegExp(`^LOG .* uri=${uri.replace(/[?]/g, '\\?')} `, 'm'));
  return logged(server, uri)!;
}

test('the same format from the HTTP front, a uwsgi socket, a static file and the master\'s own answers', async () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'static'));
  fs.writeFileSync(path.join(dir, 'static', 'f.txt'), 'static file\n');
  const server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', app,
    '--static-map', `/static=${path.join(dir, 'static')}`, '--limit-post', '10', '--log-format', FORMAT]);
  servers.push(server);

  const headers = { 'User-Agent': 'agent/1', Referer: 'http://ref.example/', 'X-Request-Id': 'rid-1', Host: 'h.example' };
  assert.equal((await httpRequest(`${server.url}/status/404?x=1`, { headers })).status, 404);
  const viaHttp = await waitLogged(server, '/status/404?x=1');

  const vars = nginxVars({ uri: '/status/404?x=2', serverName: 'h.example',
    headers: [['Host', 'h.example'], ['User-Agent', 'agent/1'], ['Referer', 'http://ref.example/'], ['X-Request-Id', 'rid-1']] });
  assert.equal((await uwsgiRequest(uwsgiTarget(server), vars)).statusCode, 404);
  const viaUwsgi = await waitLogged(server, '/status/404?x=2');

  const expected = { addr: '127.0.0.1', method: 'GET', proto: 'HTTP/1.1', status: '404', rsize: '11', host: 'h.example',
    uagent: 'agent/1', referer: 'http://ref.example/', user: '-', cl: '0', id: 'rid-1', wid: '1' };
  for (const [name, value] of Object.entries(expected)) {
    assert.equal(viaHttp[name], value, `HTTP ${name}`);
    assert.equal(viaUwsgi[name], value, `uwsgi ${name}`);
  }
  assert.equal(viaHttp.headers, viaUwsgi.headers);
  assert.equal(viaHttp.hsize, viaUwsgi.hsize, 'the head counted as uWSGI does, status line included');
  assert.ok(Number(viaHttp.rssM) > 0 && Number(viaUwsgi.rssM) > 0, 'the worker\'s memory');

  // a static file the master sends: wid 0, the master's pid
  assert.equal((await httpRequest(`${server.url}/static/f.txt`, { headers })).status, 200);
  const file = await waitLogged(server, '/static/f.txt');
  assert.equal(file.wid, '0');
  assert.equal(file.uagent, 'agent/1');
  assert.equal(file.rsize, '12');

  // the master's 413 (limit-post), with the request's Content-Length
  const refused = await httpRequest(`${server.url}/big`, { method: 'POST', body: 'x'.repeat(100), headers });
  assert.equal(refused.status, 413);
  const tooLarge = await waitLogged(server, '/big');
  assert.equal(tooLarge.status, '413');
  assert.equal(tooLarge.cl, '100');
  assert.equal(tooLarge.id, 'rid-1');
});

test('no vars travel in the records when the format reads none, and the default line is unchanged', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', app]);
  servers.push(server);
  assert.equal((await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: "/bytes/5" }))).statusCode, 200);
  await server.waitForOutput(/\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} \[[^\]]+\] GET \/bytes\/5 => generated 5 bytes in \d+ msecs \(HTTP\/1\.1 200\) 2 headers in \d+ bytes \(1 switches on core 0\)/);
});

test('the queue-full 503 the master answers is logged with the same format', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1', '--listen', '1',
    '--log-format', FORMAT]);
  servers.push(server);
  const headers = { 'User-Agent': 'agent/2', 'X-Request-Id': 'rid-503' };
  const slow = httpRequest(`${server.url}/slow/1500`);
  await sleep(300);
  const queued = httpRequest(`${server.url}/queued`);
  await sleep(200);
  assert.equal((await httpRequest(`${server.url}/refused`, { headers })).status, 503);
  const refused = await waitLogged(server, '/refused');
  assert.equal(refused.status, '503');
  assert.equal(refused.uagent, 'agent/2');
  assert.equal(refused.id, 'rid-503');
  assert.equal(refused.wid, '0', 'answered by the master');
  await Promise.all([slow, queued]);
});
