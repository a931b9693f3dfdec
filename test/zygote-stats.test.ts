// The zygote in the stats document (a `zygote` entry after uWSGI's keys, named as a worker's fields
// are) and in the metrics (nuwsgi_zygote_rss_bytes, nuwsgi_zygote_starts_total): the one the
// workers are forked from now, counted again when it dies and when a reload starts a new one; none
// with lazy-apps.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { readStats } from './helpers/stats.ts';
import { eventually, stopServer, tempDir, zygotePids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'errors.py');
const MiB = 1024 * 1024;

const servers: RunningServer[] = [];
const dirs: string[] = [];
after(async () => {
  for (const server of servers) await stopServer(server);
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface ZygoteEntry { pid: number; status: string; rss: number; vsz: number; last_spawn: number; respawn_count: number }

async function start(extra: string[]): Promise<{ server: RunningServer; stats: () => Promise<ZygoteEntry | null>; metrics: () => Promise<string> }> {
  const dir = tempDir();
  dirs.push(dir);
  const socket = path.join(dir, 'stats.sock');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '2', '--stats', socket, '--metrics', '127.0.0.1:0', ...extra]);
  servers.push(server);
  const metricsUrl = /Prometheus metrics on (\S+)/.exec(server.output())![1];
  return {
    server,
    stats: async () => (await readStats({ path: socket })).zygote as ZygoteEntry | null,
    metrics: async () => (await fetch(metricsUrl)).text(),
  };
}

/** The value of the one sample of `name` (a family without labels). */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m !== null, `${name} in:\n${text}`);
  return Number(m[1]);
}

test('the stats and the metrics show the zygote: its pid, status, memory and starts, through its death and a reload', async () => {
  const { server, stats, metrics } = await start([]);
  const zygote = await stats();
  assert.ok(zygote !== null);
  assert.deepEqual(Object.keys(zygote), ['pid', 'status', 'rss', 'vsz', 'last_spawn', 'respawn_count']);
  assert.equal(zygote.pid, zygotePids(server.output())[0]);
  assert.equal(zygote.status, 'ready');
  assert.ok(zygote.rss > MiB, 'its rss is read from /proc');
  assert.ok(zygote.vsz >= zygote.rss);
  assert.equal(zygote.respawn_count, 1);
  assert.ok(Math.abs(zygote.last_spawn - Date.now() / 1000) < 120);
  const text = await metrics();
  assert.match(text, /^# TYPE nuwsgi_zygote_rss_bytes gauge$/m);
  assert.match(text, /^# TYPE nuwsgi_zygote_starts_total counter$/m);
  assert.ok(metric(text, 'nuwsgi_zygote_rss_bytes') > MiB);
  assert.equal(metric(text, 'nuwsgi_zygote_starts_total'), 1);

  process.kill(zygote.pid, 'SIGKILL');
  const second = await eventually('the new zygote in the stats', async () => {
    const now = await stats();
    return now !== null && now.status === 'ready' && now.pid !== zygote.pid ? now : undefined;
  });
  assert.equal(second.pid, zygotePids(server.output())[1]);
  assert.equal(second.respawn_count, 2);
  assert.equal(metric(await metrics(), 'nuwsgi_zygote_starts_total'), 2);

  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload complete/, 20_000);
  const third = await stats();
  assert.ok(third !== null);
  assert.equal(third.pid, zygotePids(server.output())[2]);
  assert.equal(third.status, 'ready');
  assert.equal(third.respawn_count, 3);
  assert.equal(metric(await metrics(), 'nuwsgi_zygote_starts_total'), 3);
});

test('with lazy-apps there is no zygote: null in the stats, 0 in the metrics', async () => {
  const { stats, metrics } = await start(['--lazy-apps']);
  assert.equal(await stats(), null);
  const text = await metrics();
  assert.equal(metric(text, 'nuwsgi_zygote_rss_bytes'), 0);
  assert.equal(metric(text, 'nuwsgi_zygote_starts_total'), 0);
});
