// Reloads drop nothing: 50 keep-alive connections (some of them on slow requests, so that old
// workers always have requests in flight) keep the server busy while it reloads 20 times. Every
// request must succeed. The load is bounded in count and time and stops by itself.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { stopServer, waitFor } from './helpers/wire.ts';

const CONNECTIONS = 50;
const SLOW_CONNECTIONS = 10;
const RELOADS = 20;
const MAX_REQUESTS = 200_000;
const MAX_LOAD_MS = 120_000;

let server: RunningServer | undefined;
after(async () => stopServer(server));

interface Tally { ok: number; failed: string[] }

/** One keep-alive connection doing requests back to back until `running()` turns false. */
async function connectionLoop(url: string, agent: http.Agent, running: () => boolean, tally: Tally): Promise<void> {
  while (running()) {
    await new Promise<void>((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) tally.ok++;
          else tally.failed.push(`status ${res.statusCode}`);
          resolve();
        });
        res.on('error', (err) => { tally.failed.push(err.message); resolve(); });
      });
      req.on('error', (err) => { tally.failed.push(err.message); resolve(); });
    });
  }
}

test(`${RELOADS} reloads under ${CONNECTIONS} busy connections: not one request fails`, async (t) => {
  server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'supervised.py'),
    '-p', '2', '--threads', '4', '--disable-logging']);
  const s = server;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const tally: Tally = { ok: 0, failed: [] };
  const started = Date.now();
  let reloading = true;
  const running = () => reloading && tally.ok + tally.failed.length < MAX_REQUESTS && Date.now() - started < MAX_LOAD_MS;
  const loops = Array.from({ length: CONNECTIONS }, (_, i) =>
    connectionLoop(i < SLOW_CONNECTIONS ? `${s.url}/?sleep=0.3` : `${s.url}/`, agent, running, tally));
  try {
    await waitFor(() => tally.ok > 200, 20_000, 'the load to get going');
    for (let i = 1; i <= RELOADS; i++) {
      s.proc.kill('SIGHUP');
      await waitFor(() => (s.output().match(/reload complete/g)?.length ?? 0) >= i, 30_000, `reload ${i} to complete`);
      const okBefore = tally.ok;
      await waitFor(() => tally.ok > okBefore + 50, 20_000, `requests to flow after reload ${i}`);
    }
  } finally {
    reloading = false;
    await Promise.all(loops);
    agent.destroy();
  }
  t.diagnostic(`${tally.ok} requests served across ${RELOADS} reloads`);
  assert.deepEqual(tally.failed, [], `${tally.failed.length} failed requests out of ${tally.ok + tally.failed.length}`);
  assert.ok(tally.ok > RELOADS * 50, `only ${tally.ok} requests went through`);
  assert.equal(s.output().match(/reload complete/g)?.length, RELOADS);
  assert.doesNotMatch(s.output(), /DAMN|NO MERCY|reload failed/);
});
