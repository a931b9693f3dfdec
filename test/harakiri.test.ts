// harakiri: a request running longer than --harakiri gets 504 (uWSGI's client gets nothing), the
// log names the worker, its pid, the request and how long it ran, and the worker is replaced.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, isAlive, stopServer, waitFor, workerPids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

test('a request past --harakiri gets 504, the log says which, and the worker is replaced', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1', '--harakiri', '1', '--harakiri-verbose']);
  servers.push(server);
  const [first] = workerPids(server.output());
  const stuck = await httpRequest(`${server.url}/?sleep=60&id=stuck`, { timeoutMs: 20_000 });
  assert.equal(stuck.status, 504);
  await server.waitForOutput(/=> generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 504\)/);
  const log = server.output();
  assert.match(log, new RegExp(`\\*\\*\\* HARAKIRI ON WORKER 1 \\(pid: ${first.pid}, try: 1, graceful: no\\) \\*\\*\\*`));
  assert.match(log, new RegExp(`HARAKIRI worker 1 \\(pid: ${first.pid}\\): 127\\.0\\.0\\.1 - GET /\\?sleep=60&id=stuck running for \\d+\\.\\d s \\(harakiri 1 s\\): 504`));
  assert.match(log, /HARAKIRI worker 1 \(pid: \d+\): syscall: .*, wchan: /);
  assert.match(log, /GET \/\?sleep=60&id=stuck => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 504\)/);
  await waitFor(() => !isAlive(first.pid), 10_000, 'the harakiri\'d worker to be killed');
  const next = await httpRequest(server.url, { timeoutMs: 20_000 });
  assert.equal(next.status, 200);
  assert.notEqual(next.body.toString(), '', 'served by the replacement');
  assert.ok(!next.body.toString().includes(`pid ${first.pid} `));
});

test('with two workers, the other one serves while the stuck one is replaced', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '2', '--harakiri', '2']);
  servers.push(server);
  const stuck = httpRequest(`${server.url}/?sleep=60&id=stuck2`, { timeoutMs: 20_000 });
  await server.waitForOutput(/request stuck2 started/);
  for (let i = 0; i < 5; i++) assert.equal((await httpRequest(server.url)).status, 200);
  assert.equal((await stuck).status, 504);
  await server.waitForOutput(/worker \d \(pid: \d+\) buried/, 10_000);
  assert.equal(workerPids(server.output()).length, 3, 'one replacement');
});

test('--harakiri-graceful-timeout: the worker is sent --harakiri-graceful-signal first', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1', '--harakiri', '1',
    '--harakiri-graceful-timeout', '1', '--harakiri-graceful-signal', '10']);
  servers.push(server);
  const [first] = workerPids(server.output());
  // SIGUSR1 (10) kills a Python process that has no handler for it: the graceful signal is what ends it
  assert.equal((await httpRequest(`${server.url}/?sleep=60&id=graceful`, { timeoutMs: 20_000 })).status, 504);
  await server.waitForOutput(/HARAKIRI ON WORKER 1 \(pid: \d+, try: 1, graceful: yes\)/);
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${first.pid}\\) buried after [\\d.]+ seconds \\(killed by signal SIGUSR1\\)`), 10_000);
  assert.equal((await httpRequest(server.url, { timeoutMs: 20_000 })).status, 200);
});
