// A worker that dies is replaced; when replacements keep dying the master slows down instead of
// forking in a loop, and it says why each time.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer, tempDir, waitFor } from './helpers/wire.ts';

const servers: RunningServer[] = [];
const spawns = (server: RunningServer) => server.output().match(/spawned worker 1 \(pid/g)?.length ?? 0;
after(async () => { for (const s of servers) await stopServer(s); });

test('workers that die in a loop make the master sleep before respawning', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'crash.py'),
    '-p', '1', '--forkbomb-delay', '1']);
  servers.push(server);
  // each request kills the worker; the second respawn within a second is one too many for 1 process.
  // A loaded machine can take longer than that second to start a worker, so kill until it happens.
  const tooFast = /worker respawning too fast !!! i have to sleep a bit \(1 seconds\)/;
  for (let i = 0; i < 10 && !tooFast.test(server.output()); i++) {
    const r = await httpRequest(`${server.url}/kill`, { timeoutMs: 10_000 });
    assert.equal(r.status, 502);
    await waitFor(() => spawns(server) === i + 2, 10_000, `respawn number ${i + 1}`);
  }
  assert.match(server.output(), /died \(killed by signal SIGKILL\)/);
  assert.match(server.output(), tooFast);
  // and after the pause it serves again
  await waitFor(async () => (await httpRequest(server.url, { timeoutMs: 5000 })).status === 200, 10_000, 'a worker serving again');
});

// With lazy-apps every replacement imports the app again (without it, a replacement is forked from
// the zygote, which loaded the app already: zygote-death.test.ts has its back-off).
test('lazy-apps: a replacement that cannot load the app is retried with a growing delay, and serves once it can', async () => {
  const flag = path.join(tempDir(), 'fail');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'fails_to_load_when_flagged.py'),
    '--forkbomb-delay', '1', '--lazy-apps'], { env: { NUWSGI_TEST_FAIL_FLAG: flag } });
  servers.push(server);
  fs.writeFileSync(flag, '');
  assert.equal((await httpRequest(`${server.url}/kill`, { timeoutMs: 10_000 })).status, 502);
  await server.waitForOutput(/failed to load the app \(exit code 22\): trying again in 1 s/, 10_000);
  await server.waitForOutput(/failed to load the app \(exit code 22\): trying again in 2 s/, 10_000);
  assert.match(server.output(), /RuntimeError: refusing to load: the flag file exists/);
  // the server itself stays up meanwhile (requests wait in the master)
  fs.rmSync(flag);
  await server.waitForOutput(/worker 1 \(pid: \d+\) ready[^\n]*\n(.|\n)*worker 1 \(pid: \d+\) ready/, 15_000);
  assert.equal((await httpRequest(server.url, { timeoutMs: 10_000 })).status, 200);
});
