// The directory of the socket the forked workers connect to (nuwsgi-forks-* in TMPDIR): a master
// killed with SIGKILL cannot remove its own, and the next master to start removes it, leaving the
// directory of a master still running alone (it goes on forking through it). A master that stops
// removes its own.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { isAlive, stopServer, tempDir, waitFor, workerPids, zygotePids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'errors.py');
const tmp = tempDir();
const servers: RunningServer[] = [];
after(async () => {
  for (const server of servers) await stopServer(server);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The rendezvous directories in the masters' TMPDIR. */
const forkDirs = (): string[] => fs.readdirSync(tmp).filter((name) => name.startsWith('nuwsgi-forks-')).sort();

/** A master with TMPDIR=tmp; resolves with it and the directory it made there. */
async function master(): Promise<{ server: RunningServer; dir: string }> {
  const before = forkDirs();
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1'], { env: { TMPDIR: tmp } });
  servers.push(server);
  const made = forkDirs().filter((name) => !before.includes(name));
  assert.equal(made.length, 1, 'one directory per master');
  return { server, dir: made[0] };
}

test("a SIGKILLed master's directory is removed by the next master, and a running master's is left alone", async () => {
  const killed = await master();
  const running = await master();

  const pids = [...zygotePids(killed.server.output()), ...workerPids(killed.server.output()).map((w) => w.pid)];
  await killed.server.stop('SIGKILL');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already with its master
    }
  }
  await waitFor(() => pids.every((pid) => !isAlive(pid)), 10_000, 'the zygote and the worker of the killed master to exit');
  assert.deepEqual(forkDirs(), [killed.dir, running.dir].sort(), 'nothing removed the killed master\'s directory');

  const next = await master();
  await waitFor(() => !forkDirs().includes(killed.dir), 10_000, "the killed master's directory to be removed");
  assert.deepEqual(forkDirs(), [running.dir, next.dir].sort());

  // the running master still forks through its directory
  const [worker] = workerPids(running.server.output());
  process.kill(worker.pid, 'SIGKILL');
  await running.server.waitForOutput(/worker 1 \(pid: \d+\) ready(.|\n)*worker 1 \(pid: \d+\) ready/);

  assert.equal((await next.server.stop()).code, 0);
  assert.equal((await running.server.stop()).code, 0);
  assert.deepEqual(forkDirs(), []);
});
