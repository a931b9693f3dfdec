// Without lazy-apps, one zygote imports the app and forks the workers (uWSGI's default): the
// workers are its children, the app is imported once, the workers share the zygote's pages, and a
// worker killed with SIGKILL is replaced by another fork, without a new import.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, json, waitFor, parentPid, residentAndProportional, stopServer, tempDir, workerPids, zygotePids } from './helpers/wire.ts';

const WORKERS = 3;

interface Probe { pid: number; ppid: number; table: number }

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

/** The pids that imported the app, from zygote_probe.py's log. */
function importers(log: string): number[] {
  return fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[1]));
}

async function start(): Promise<{ server: RunningServer; log: string }> {
  const log = path.join(tempDir(), 'imports');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'zygote_probe.py'),
    '--master', '-p', String(WORKERS)], { env: { ZYGOTE_PROBE_LOG: log } });
  servers.push(server);
  return { server, log };
}

test('the workers are children of one zygote that imported the app once, and share its pages', async () => {
  const { server, log } = await start();
  const [zygote] = zygotePids(server.output());
  assert.ok(zygote !== undefined, server.output());
  assert.equal(parentPid(zygote), server.pid);
  assert.deepEqual(importers(log), [zygote]);
  const workers = workerPids(server.output());
  assert.equal(workers.length, WORKERS);
  for (const worker of workers) {
    assert.equal(parentPid(worker.pid), zygote, `worker ${worker.id}'s parent`);
    // the ~40 MB the import built are the zygote's pages, shared by all four processes
    const memory = residentAndProportional(worker.pid);
    assert.ok(memory !== undefined && memory.pss < memory.rss * 0.6,
      `worker ${worker.id}: PSS ${memory?.pss} is not well below RSS ${memory?.rss}`);
  }
  const probe = json<Probe>((await httpRequest(server.url)).body);
  assert.ok(workers.some((w) => w.pid === probe.pid));
  assert.equal(probe.ppid, zygote);
  assert.equal(probe.table, 200_000);
});

test('a worker killed with SIGKILL is replaced by a fork of the same zygote, without an import', async () => {
  const { server, log } = await start();
  const [zygote] = zygotePids(server.output());
  const victim = workerPids(server.output())[1];
  process.kill(victim.pid, 'SIGKILL');
  await server.waitForOutput(new RegExp(`worker ${victim.id} \\(pid: ${victim.pid}\\) died \\(killed by signal SIGKILL\\)`));
  await waitFor(() => workerPids(server.output()).filter((w) => w.id === victim.id).length === 2, 10_000, 'the replacement');
  const [, replacement] = workerPids(server.output()).filter((w) => w.id === victim.id);
  await server.waitForOutput(new RegExp(`worker ${victim.id} \\(pid: ${replacement.pid}\\) ready`));
  assert.equal(parentPid(replacement.pid), zygote);
  assert.deepEqual(importers(log), [zygote]);
  for (let i = 0; i < WORKERS * 2; i++) assert.equal((await httpRequest(server.url)).status, 200);
});
