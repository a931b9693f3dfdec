// Recycling: max-requests (with its delta), max-worker-lifetime and reload-on-rss replace a worker
// gracefully (its replacement is ready before it stops taking requests), never before
// min-worker-lifetime; no request fails meanwhile.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer, workerPids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

async function start(args: string[]): Promise<RunningServer> {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, ...args]);
  servers.push(server);
  return server;
}

async function pidsOf(server: RunningServer, requests: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < requests; i++) {
    const r = await httpRequest(server.url, { timeoutMs: 20_000 });
    assert.equal(r.status, 200);
    pids.add(r.body.toString().split(' ')[1]);
  }
  return pids;
}

test('max-requests: the worker is replaced after N requests, and no request fails', async () => {
  const server = await start(['-p', '1', '--max-requests', '5', '--min-worker-lifetime', '0']);
  const [first] = workerPids(server.output());
  await pidsOf(server, 5);
  await server.waitForOutput(/The work of worker 1 \(pid: \d+\) is done \(max requests reached \(5 >= 5\)\): its replacement is starting/);
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${first.pid}\\) buried`), 10_000);
  const pids = await pidsOf(server, 3);
  assert.ok(!pids.has(String(first.pid)), `the recycled worker still served: ${[...pids]}`);
});

test('max-requests-delta: worker N is replaced after max-requests + N * delta requests', async () => {
  const server = await start(['-p', '2', '--max-requests', '3', '--max-requests-delta', '2', '--min-worker-lifetime', '0']);
  await pidsOf(server, 30);
  assert.match(server.output(), /The work of worker 1 \(pid: \d+\) is done \(max requests reached \(5 >= 5\)\)/);
  assert.match(server.output(), /The work of worker 2 \(pid: \d+\) is done \(max requests reached \(7 >= 7\)\)/);
});

test('min-worker-lifetime: no recycling before the worker lived that long', async () => {
  const server = await start(['-p', '1', '--max-requests', '2', '--min-worker-lifetime', '60']);
  const pids = await pidsOf(server, 6);
  assert.equal(pids.size, 1);
  assert.doesNotMatch(server.output(), /The work of worker/);
});

test('max-worker-lifetime: the worker is replaced once it lived that long', async () => {
  const server = await start(['-p', '1', '--max-worker-lifetime', '1', '--min-worker-lifetime', '0']);
  const [first] = workerPids(server.output());
  await server.waitForOutput(/The work of worker 1 \(pid: \d+\) is done \(lifetime reached \(\d+ s >= 1 s\)\)/, 10_000);
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${first.pid}\\) buried`), 10_000);
  assert.equal((await httpRequest(server.url)).status, 200);
});

test('reload-on-rss: a worker that grew past the limit is replaced', async () => {
  const server = await start(['-p', '1', '--reload-on-rss', '64', '--min-worker-lifetime', '0']);
  assert.equal((await httpRequest(`${server.url}/grow?mb=96`, { timeoutMs: 20_000 })).status, 200);
  await server.waitForOutput(/The work of worker 1 \(pid: \d+\) is done \(rss reached \(\d+\.\d MiB > 64 MiB\)\)/, 10_000);
  await server.waitForOutput(/worker 1 \(pid: \d+\) buried/, 10_000);
  assert.equal((await httpRequest(server.url)).status, 200);
});
