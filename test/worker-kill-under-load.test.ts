// kill -9 of a worker under load: only the requests that worker had in flight fail (with a 502, or
// a cut connection when the response had started), and its replacement serves.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { startLoad } from './helpers/load.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { stopServer, waitFor, workerPids } from './helpers/wire.ts';

let server: RunningServer | undefined;
after(async () => stopServer(server));

test('kill -9 of one worker of two, under 30 busy connections: only its requests fail', async (t) => {
  server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'supervised.py'),
    '-p', '2', '--disable-logging']);
  const s = server;
  const load = startLoad({ connections: 30, url: () => `${s.url}/` });
  let replacedAfterMs = 0;
  try {
    await waitFor(() => load.tally.ok > 500, 20_000, 'the load to get going');
    const [victim] = workerPids(s.output());
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await s.waitForOutput(/worker 1 \(pid: \d+\) ready[\s\S]*worker 1 \(pid: \d+\) ready/, 10_000);
    replacedAfterMs = Date.now() - killedAt;
    const okBefore = load.tally.ok;
    await waitFor(() => load.tally.ok > okBefore + 500, 20_000, 'requests to flow again');
  } finally {
    await load.stop();
  }
  const failed = load.tally.failed;
  t.diagnostic(`${load.tally.ok} requests served, ${failed.length} failed (${[...new Set(failed)].join(', ')}); ` +
    `the replacement was ready ${replacedAfterMs} ms after the kill`);
  const cut = /^(?:socket hang up|read ECONNRESET|aborted)$/;
  assert.deepEqual(failed.filter((f) => f !== 'status 502' && !cut.test(f)), [], 'failures other than 502 or a cut response');
  // at most what one worker may hold: its core plus the pipelined requests (worker.ts, PIPELINE_DEPTH)
  assert.ok(failed.length <= 17, `${failed.length} requests failed`);
  assert.match(s.output(), /DAMN ! worker 1 \(pid: \d+\) died \(killed by signal SIGKILL\)/);
});
