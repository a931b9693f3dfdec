// Behind a real nginx (uwsgi_pass to a unix socket that the workers accept on themselves), with the
// HTTP load generator aimed at nginx: graceful reloads drop nothing (the new workers start
// accepting, then the old ones stop accepting and finish the connection they hold), and kill -9 of
// one worker fails only the request it was serving. The load is bounded in count and time and
// stops by itself.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { reloadUnderLoad, startLoad } from './helpers/load.ts';
import { needNginx, nuwsgiBehindNginx, type RunningNginx } from './helpers/nginx.ts';
import { fixtureApps } from './helpers/server.ts';
import { httpRequest, waitFor, workerPids } from './helpers/wire.ts';

const CONNECTIONS = 30;
const SLOW_CONNECTIONS = 3;
const RELOADS = 10;
const MAX_REQUESTS = 100_000;
const MAX_LOAD_MS = 45_000;

/** nuwsgi (supervised.py, -p 2, single-threaded) on a unix socket, and nginx in front of it. */
function setUp(t: TestContext, nginxPath: string, extra: string[] = []) {
  return nuwsgiBehindNginx(t, nginxPath, [
    '--wsgi-file', path.join(fixtureApps, 'supervised.py'), '--chmod-socket=660', '--vacuum',
    '--master', '--processes', '2', '--disable-logging', ...extra,
  ]);
}

/** nginx's [error] (and worse) lines: what it logged about the upstream. */
function nginxErrors(nginx: RunningNginx): string[] {
  return nginx.errorLog().split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
}

test(`${RELOADS} reloads behind nginx under ${CONNECTIONS} busy connections: not one request fails`, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const { server: s, nginx } = await setUp(t, nginxPath);
  const load = startLoad({
    connections: CONNECTIONS,
    // Slow requests keep the old workers busy with a connection when each reload comes.
    url: (i) => (i < SLOW_CONNECTIONS ? `${nginx.url}/?sleep=0.2` : `${nginx.url}/`),
    maxRequests: MAX_REQUESTS,
    maxMs: MAX_LOAD_MS,
  });
  const tally = load.tally;
  try {
    await reloadUnderLoad(s, tally, RELOADS, 20_000);
  } finally {
    await load.stop();
  }
  t.diagnostic(`${tally.ok} requests served through nginx across ${RELOADS} reloads`);
  assert.deepEqual(tally.failed, [], `${tally.failed.length} failed requests out of ${tally.ok + tally.failed.length}; ` +
    `nginx errors:\n${nginxErrors(nginx).slice(0, 10).join('\n')}`);
  assert.ok(tally.ok > RELOADS * 50, `only ${tally.ok} requests went through`);
  assert.equal(s.output().match(/reload complete/g)?.length, RELOADS);
  assert.doesNotMatch(s.output(), /DAMN|NO MERCY|reload failed/);
  assert.deepEqual(nginxErrors(nginx), [], 'nginx logged no upstream error');
  // 2 workers at first, then 2 more per reload; the old ones are gone.
  const all = workerPids(s.output());
  assert.equal(all.length, 2 * (RELOADS + 1), s.output());
});

test(`kill -9 of one worker of two behind nginx, under ${CONNECTIONS} busy connections: only its request fails`, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const { server: s, nginx } = await setUp(t, nginxPath);
  const load = startLoad({
    connections: CONNECTIONS,
    url: (i) => (i < SLOW_CONNECTIONS ? `${nginx.url}/?sleep=0.05` : `${nginx.url}/`),
    maxRequests: MAX_REQUESTS,
    maxMs: MAX_LOAD_MS,
  });
  let replacement: number | undefined;
  const [victim, survivor] = workerPids(s.output());
  assert.ok(victim !== undefined && survivor !== undefined, s.output());
  try {
    await waitFor(() => load.tally.ok > 300, 20_000, 'the load to get going');
    process.kill(victim.pid, 'SIGKILL');
    await s.waitForOutput(/DAMN ! worker \d+ \(pid: \d+\) died/, 10_000);
    // The replacement: the third worker the log names, ready.
    await waitFor(() => workerPids(s.output()).length >= 3, 10_000, 'a replacement to be spawned');
    replacement = workerPids(s.output())[2]!.pid;
    await s.waitForOutput(new RegExp(`worker ${victim.id} \\(pid: ${replacement}\\) ready`), 15_000);
    const okBefore = load.tally.ok;
    await waitFor(() => load.tally.ok > okBefore + 300, 20_000, 'requests to flow again');
  } finally {
    await load.stop();
  }
  const failed = load.tally.failed;
  t.diagnostic(`${load.tally.ok} requests served through nginx, ${failed.length} failed (${[...new Set(failed)].join(', ')})`);
  const cut = /^(?:socket hang up|read ECONNRESET|aborted)$/;
  assert.deepEqual(failed.filter((f) => f !== 'status 502' && !cut.test(f)), [], 'failures other than 502 or a cut response');
  // A single-threaded worker holds one connection: 1 request (a few more allowed for nginx's retries).
  assert.ok(failed.length <= 3, `${failed.length} requests failed: ${failed.join(', ')}`);
  assert.match(s.output(), new RegExp(`DAMN ! worker ${victim.id} \\(pid: ${victim.pid}\\) died \\(killed by signal SIGKILL\\)`));
  assert.equal(s.output().match(/DAMN/g)?.length, 1, 'only the killed worker died');

  // Both the survivor and the replacement serve: two slow requests at once, one on each
  // (a single-threaded worker serves one connection at a time).
  const answers = await Promise.all([1, 2].map(() => httpRequest(`${nginx.url}/?sleep=0.5`, { timeoutMs: 10_000 })));
  assert.deepEqual(answers.map((r) => r.status), [200, 200]);
  const pids = answers.map((r) => Number(/^pid (\d+)/.exec(r.body.toString('latin1'))?.[1])).sort();
  assert.deepEqual(pids, [survivor.pid, replacement!].sort(), `answered by ${pids.join(', ')}`);
});
