// The zygote's death is handled: its workers keep serving, a new zygote is started and logged, and
// later replacements are forked from the new one. A worker whose zygote died is still supervised
// (its end is seen through its channel). A zygote that cannot load the app again backs off through
// the slots of the workers it cannot fork, as a worker that cannot load the app does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, isAlive, json, parentPid, stopServer, tempDir, waitFor, workerPids, zygotePids } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

test('killing the zygote leaves the service up; a new zygote is started and forks the next workers', async () => {
  const log = path.join(tempDir(), 'imports');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'zygote_probe.py'),
    '--master', '-p', '2'], { env: { ZYGOTE_PROBE_LOG: log } });
  servers.push(server);
  const [first] = zygotePids(server.output());
  const workers = workerPids(server.output());
  process.kill(first, 'SIGKILL');
  await server.waitForOutput(new RegExp(`the zygote \\(pid: ${first}\\) died \\(killed by signal SIGKILL\\): its workers keep serving; starting a new zygote`));
  await server.waitForOutput(/zygote \(pid: \d+\) ready(.|\n)*zygote \(pid: \d+\) ready/);
  const second = zygotePids(server.output())[1];
  assert.equal(parentPid(second), server.pid);
  // the same workers answer, orphaned but supervised
  for (let i = 0; i < 4; i++) {
    const response = await httpRequest(server.url);
    assert.equal(response.status, 200);
    assert.ok(workers.some((w) => w.pid === json<{ pid: number }>(response.body).pid));
  }
  process.kill(workers[0].pid, 'SIGKILL');
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${workers[0].pid}\\) died \\(exit status unknown: its zygote died before it\\)`));
  await waitFor(() => workerPids(server.output()).length === 3, 10_000, 'the replacement');
  const replacement = workerPids(server.output())[2];
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${replacement.pid}\\) ready`));
  assert.equal(parentPid(replacement.pid), second);
  assert.equal((await httpRequest(server.url)).status, 200);

  const { code } = await server.stop();
  assert.equal(code, 0);
  await waitFor(() => [second, workers[1].pid, replacement.pid].every((pid) => !isAlive(pid)), 5000, 'every process to exit');
});

test('a zygote that cannot load the app again: the workers keep serving, their replacements back off', async () => {
  const flag = path.join(tempDir(), 'fail');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'fails_to_load_when_flagged.py'),
    '--forkbomb-delay', '1', '-p', '2'], { env: { NUWSGI_TEST_FAIL_FLAG: flag } });
  servers.push(server);
  fs.writeFileSync(flag, '');
  process.kill(zygotePids(server.output())[0], 'SIGKILL');
  await server.waitForOutput(/the zygote \(pid: \d+\) could not load the app \(exit code 22\)/);
  assert.equal((await httpRequest(server.url)).status, 200);
  // a worker dies: its replacement needs a zygote, which cannot load the app: the slot backs off
  assert.equal((await httpRequest(`${server.url}/kill`, { timeoutMs: 10_000 })).status, 502);
  await server.waitForOutput(/failed to load the app \(exit code 22\): trying again in 1 s/, 10_000);
  await server.waitForOutput(/failed to load the app \(exit code 22\): trying again in 2 s/, 10_000);
  assert.equal((await httpRequest(server.url)).status, 200);
  fs.rmSync(flag);
  await waitFor(() => (server.output().match(/zygote \(pid: \d+\) ready/g)?.length ?? 0) === 2, 15_000, 'a zygote to load the app');
  await waitFor(() => (server.output().match(/worker \d \(pid: \d+\) ready/g)?.length ?? 0) === 3, 10_000, 'the replacement');
});
