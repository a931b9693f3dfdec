// Graceful reloads: SIGHUP (and touch-reload) start new workers with the configuration read again,
// and the old ones stop taking requests only once the new ones are ready; their requests finish.
// A configuration or an app that no longer loads keeps the old workers serving.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer, tempDir, waitFor } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

const count = (server: RunningServer, pattern: RegExp) => server.output().match(new RegExp(pattern, 'g'))?.length ?? 0;

/** The ini file of a test, written again with other settings by the test itself. */
function iniWith(dir: string, greeting: string, extra: string[] = []): string {
  const file = path.join(dir, 'app.ini');
  fs.writeFileSync(file, ['[uwsgi]', 'http = 127.0.0.1:0', `wsgi-file = ${app}`, 'processes = 2', 'master = true',
    `env = GREETING=${greeting}`, ...extra, ''].join('\n'));
  return file;
}

async function answer(server: RunningServer, query = ''): Promise<{ pid: number; greeting: string }> {
  const r = await httpRequest(`${server.url}/${query}`, { timeoutMs: 20_000 });
  assert.equal(r.status, 200, r.body.toString());
  const [, pid, greeting] = /^pid (\d+) greeting (\S+)$/.exec(r.body.toString())!;
  return { pid: Number(pid), greeting };
}

test('SIGHUP: new workers with the configuration read again; a request in flight on an old worker completes', async () => {
  const dir = tempDir();
  const server = await startServer(['--ini', iniWith(dir, 'one')]);
  servers.push(server);
  const before = await answer(server);
  assert.equal(before.greeting, 'one');
  const inFlight = answer(server, '?sleep=2&id=long');
  await server.waitForOutput(/request long started/);
  iniWith(dir, 'two');
  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload complete: 2 new workers serving; 2 old ones finishing their requests/, 20_000);
  const after = await answer(server);
  assert.equal(after.greeting, 'two');
  const old = await inFlight;
  assert.equal(old.greeting, 'one', 'the old worker finished the request it had');
  await server.waitForOutput(/buried after/, 10_000);
  assert.match(server.output(), /SIGHUP received: graceful reload, re-reading the configuration/);
});

test('a configuration that no longer loads is refused, and the old workers keep serving', async () => {
  const dir = tempDir();
  const file = iniWith(dir, 'one');
  const server = await startServer(['--ini', file]);
  servers.push(server);
  const before = await answer(server);
  fs.appendFileSync(file, 'processes = many\n');
  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload refused, the current workers keep serving: .*processes/, 10_000);
  const still = await answer(server);
  assert.equal(still.greeting, 'one');
  assert.equal(count(server, /spawned worker/), 2, 'no worker was started');
  void before;
});

test('an app that no longer imports: the reload fails and the old workers keep serving; fixed, the next one works', async () => {
  const dir = tempDir();
  const flag = path.join(dir, 'fail');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'fails_to_load_when_flagged.py'),
    '-p', '2'], { env: { NUWSGI_TEST_FAIL_FLAG: flag } });
  servers.push(server);
  const pidBefore = (await httpRequest(server.url)).body.toString();
  fs.writeFileSync(flag, '');
  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload failed, the current workers keep serving: new worker \d could not load the app/, 20_000);
  assert.match(server.output(), /RuntimeError: refusing to load: the flag file exists/);
  for (let i = 0; i < 4; i++) assert.equal((await httpRequest(server.url)).status, 200);
  fs.rmSync(flag);
  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload complete/, 20_000);
  await waitFor(async () => (await httpRequest(server.url)).body.toString() !== pidBefore, 10_000, 'a new worker answering');
});

test('touch-reload reloads every worker; touch-chain-reload replaces them one at a time', async () => {
  const dir = tempDir();
  const touchAll = path.join(dir, 'reload.txt');
  const touchChain = path.join(dir, 'chain.txt');
  const server = await startServer(['--ini', iniWith(dir, 'one', [`touch-reload = ${touchAll}`, `touch-chain-reload = ${touchChain}`])]);
  servers.push(server);
  fs.writeFileSync(touchAll, '');
  await server.waitForOutput(/reload\.txt has been touched\.\.\. grace them all !!!/, 10_000);
  await server.waitForOutput(/reload complete: 2 new workers serving/, 20_000);
  fs.writeFileSync(touchChain, '');
  await server.waitForOutput(/chain reloading complete/, 20_000);
  // one slot at a time: a slot's new worker is ready before the next slot is touched
  const log = server.output().slice(server.output().indexOf('chain.txt has been touched'));
  assert.match(log, /chain next victim is worker 1[\s\S]*?worker 1 \(pid: \d+\) ready[\s\S]*?chain next victim is worker 2[\s\S]*?worker 2 \(pid: \d+\) ready[\s\S]*?chain reloading complete/);
  assert.doesNotMatch(log.slice(0, log.indexOf('chain next victim is worker 2')), /worker 2 \(pid: \d+\) ready/);
  assert.equal((await answer(server)).greeting, 'one');
});

test('touch-workers-reload replaces the workers without re-reading the configuration', async () => {
  const dir = tempDir();
  const touch = path.join(dir, 'workers.txt');
  const file = iniWith(dir, 'one', [`touch-workers-reload = ${touch}`]);
  const server = await startServer(['--ini', file]);
  servers.push(server);
  iniWith(dir, 'two', [`touch-workers-reload = ${touch}`]);
  fs.writeFileSync(touch, '');
  await server.waitForOutput(/reload complete: 2 new workers serving/, 20_000);
  assert.doesNotMatch(server.output(), /re-reading the configuration/);
  assert.equal((await answer(server)).greeting, 'one');
});
