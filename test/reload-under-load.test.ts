// Reloads drop nothing: 50 keep-alive connections (some of them on slow requests, so that old
// workers always have requests in flight) keep the server busy while it reloads 20 times. Every
// request must succeed. The load is bounded in count and time and stops by itself.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { reloadUnderLoad, startLoad } from './helpers/load.ts';
import { stopServer, waitFor } from './helpers/wire.ts';

const CONNECTIONS = 50;
const SLOW_CONNECTIONS = 10;
const RELOADS = 20;
const MAX_REQUESTS = 200_000;
const MAX_LOAD_MS = 120_000;

let server: RunningServer | undefined;
after(async () => stopServer(server));

test(`${RELOADS} reloads under ${CONNECTIONS} busy connections: not one request fails`, async (t) => {
  server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'supervised.py'),
    '-p', '2', '--threads', '4', '--disable-logging']);
  const s = server;
  const load = startLoad({
    connections: CONNECTIONS,
    url: (i) => (i < SLOW_CONNECTIONS ? `${s.url}/?sleep=0.3` : `${s.url}/`),
    maxRequests: MAX_REQUESTS,
    maxMs: MAX_LOAD_MS,
  });
  const tally = load.tally;
  try {
    await reloadUnderLoad(s, tally, RELOADS, 30_000);
  } finally {
    await load.stop();
  }
  t.diagnostic(`${tally.ok} requests served across ${RELOADS} reloads`);
  assert.deepEqual(tally.failed, [], `${tally.failed.length} failed requests out of ${tally.ok + tally.failed.length}`);
  assert.ok(tally.ok > RELOADS * 50, `only ${tally.ok} requests went through`);
  assert.equal(s.output().match(/reload complete/g)?.length, RELOADS);
  assert.doesNotMatch(s.output(), /DAMN|NO MERCY|reload failed/);
});

test('recycling under load (max-requests): not one request fails', async (t) => {
  const recycler = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'supervised.py'),
    '-p', '2', '--max-requests', '300', '--min-worker-lifetime', '0', '--disable-logging']);
  const load = startLoad({ connections: CONNECTIONS, url: () => `${recycler.url}/`, maxRequests: MAX_REQUESTS, maxMs: MAX_LOAD_MS });
  const recycled = () => recycler.output().match(/ buried after /g)?.length ?? 0;
  try {
    await waitFor(() => recycled() >= 10, 60_000, '10 workers to be recycled');
  } finally {
    await load.stop();
    await stopServer(recycler);
  }
  t.diagnostic(`${load.tally.ok} requests served while ${recycled()} workers were recycled`);
  assert.deepEqual(load.tally.failed, [], `${load.tally.failed.length} failed requests`);
  assert.doesNotMatch(recycler.output(), /DAMN|NO MERCY/);
});
