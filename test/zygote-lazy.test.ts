// lazy-apps (and lazy) keep one import per worker: every worker is a fresh Python, a child of the
// master, and no zygote is started; a replacement imports the app again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, parentPid, stopServer, tempDir, workerPids, zygotePids } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

function importers(log: string): number[] {
  return fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[1])).sort();
}

for (const option of ['--lazy-apps', '--lazy']) {
  test(`${option}: every worker imports the app itself, as a child of the master`, async () => {
    const log = path.join(tempDir(), 'imports');
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'zygote_probe.py'),
      '--master', '-p', '2', option], { env: { ZYGOTE_PROBE_LOG: log } });
    servers.push(server);
    assert.deepEqual(zygotePids(server.output()), []);
    const workers = workerPids(server.output());
    assert.deepEqual(importers(log), workers.map((w) => w.pid).sort());
    for (const worker of workers) assert.equal(parentPid(worker.pid), server.pid);

    process.kill(workers[0].pid, 'SIGKILL');
    await server.waitForOutput(/worker 1 \(pid: \d+\) died[^\n]*\n(.|\n)*worker 1 \(pid: \d+\) ready/);
    const replacement = workerPids(server.output()).at(-1)!;
    assert.deepEqual(importers(log), [...workers.map((w) => w.pid), replacement.pid].sort());
    assert.equal((await httpRequest(server.url)).status, 200);
  });
}
