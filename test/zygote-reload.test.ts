// A graceful reload starts a new zygote from the new code; its forks become the new workers, and
// the old zygote goes once its workers are gone. Under load not one request fails. A new zygote
// that cannot load the app gives the reload up: the old workers keep serving, and the old zygote
// forks their replacements.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { reloadUnderLoad, startLoad } from './helpers/load.ts';
import { httpRequest, isAlive, parentPid, stopServer, tempDir, waitFor, workerPids, zygotePids } from './helpers/wire.ts';

const RELOADS = 5;

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

test(`${RELOADS} reloads under load: each forks its workers from a new zygote, and not one request fails`, async (t) => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'supervised.py'),
    '-p', '2', '--threads', '2', '--disable-logging']);
  servers.push(server);
  const load = startLoad({
    connections: 20,
    url: (i) => (i < 4 ? `${server.url}/?sleep=0.3` : `${server.url}/`),
    maxRequests: 100_000,
    maxMs: 60_000,
  });
  try {
    await reloadUnderLoad(server, load.tally, RELOADS, 30_000);
  } finally {
    await load.stop();
  }
  t.diagnostic(`${load.tally.ok} requests served across ${RELOADS} reloads`);
  assert.deepEqual(load.tally.failed, [], `${load.tally.failed.length} failed requests`);
  const zygotes = zygotePids(server.output());
  assert.equal(zygotes.length, RELOADS + 1);
  const current = zygotes.at(-1)!;
  await waitFor(() => zygotes.slice(0, -1).every((pid) => !isAlive(pid)), 10_000, 'the old zygotes to exit');
  for (const worker of workerPids(server.output()).slice(-2)) assert.equal(parentPid(worker.pid), current);
  assert.doesNotMatch(server.output(), /DAMN|NO MERCY|reload failed|exit status unknown/);
});

test('a reload whose new zygote cannot load the app: the old workers keep serving, forked from the old zygote', async () => {
  const flag = path.join(tempDir(), 'fail');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'fails_to_load_when_flagged.py'),
    '-p', '2'], { env: { NUWSGI_TEST_FAIL_FLAG: flag } });
  servers.push(server);
  const [first] = zygotePids(server.output());
  fs.writeFileSync(flag, '');
  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload failed, the current workers keep serving/);
  assert.equal((await httpRequest(server.url)).status, 200);
  const [failed] = zygotePids(server.output()).slice(1);
  await waitFor(() => !isAlive(failed), 5000, 'the new zygote to be gone');
  assert.equal((await httpRequest(`${server.url}/kill`, { timeoutMs: 10_000 })).status, 502);
  await waitFor(() => workerPids(server.output()).length === 3, 10_000, 'the replacement');
  const replacement = workerPids(server.output())[2];
  await server.waitForOutput(new RegExp(`worker \\d \\(pid: ${replacement.pid}\\) ready`));
  assert.equal(parentPid(replacement.pid), first);
});
