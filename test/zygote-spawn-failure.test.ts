// An interpreter that cannot be run any more (it lost its x bit, or vanished, after the start-up
// check): the zygote, or a lazy worker, that cannot be started is logged as such, with the reason
// and without a pid it never had; the slots back off, and serve again once the interpreter is back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { stopServer, tempDir, waitFor, workerPids, zygotePids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'errors.py');
/** A pid that is not one: what the master printed for a process it could not spawn. */
const NO_PID = /pid: 0\b/;

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

/** A --home whose bin/python3 runs the python3 on PATH; returns the home and the interpreter. */
function home(): { home: string; python: string } {
  const dir = tempDir();
  const python = path.join(dir, 'bin', 'python3');
  fs.mkdirSync(path.dirname(python));
  fs.writeFileSync(python, '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
  return { home: dir, python };
}

const readyLines = (server: RunningServer, who: RegExp): number => server.output().split('\n').filter((line) => who.test(line)).length;

test('a zygote that cannot be started: "could not start the zygote" with the reason, no pid; it starts once it can', async () => {
  const { home: venv, python } = home();
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--home', venv, '-p', '2', '--forkbomb-delay', '1']);
  servers.push(server);
  const [zygote] = zygotePids(server.output());
  const [first] = workerPids(server.output());
  fs.chmodSync(python, 0o644);
  process.kill(zygote, 'SIGKILL');
  await server.waitForOutput(new RegExp(`could not start the zygote: spawn ${python} EACCES`));
  // a worker to replace: its fork needs a zygote, which cannot start either
  process.kill(first.pid, 'SIGKILL');
  await server.waitForOutput(/OOPS ! worker 1 could not start \(its zygote could not start\): trying again in 1 s/);
  assert.doesNotMatch(server.output(), NO_PID);

  fs.chmodSync(python, 0o755);
  await waitFor(() => readyLines(server, /^zygote \(pid: \d+\) ready/) === 2, 15_000, 'a new zygote');
  await waitFor(() => readyLines(server, /^worker 1 \(pid: \d+\) ready/) === 2, 10_000, 'worker 1, forked again');
  assert.doesNotMatch(server.output(), NO_PID);
});

test('with lazy-apps, a worker that cannot be started: "could not start" with the reason, no pid', async () => {
  const { home: venv, python } = home();
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--home', venv, '-p', '1', '--lazy-apps',
    '--forkbomb-delay', '1']);
  servers.push(server);
  const [first] = workerPids(server.output());
  fs.rmSync(python);
  process.kill(first.pid, 'SIGKILL');
  await server.waitForOutput(new RegExp(`OOPS ! worker 1 could not start \\(spawn ${python} ENOENT\\): trying again in 1 s`));
  assert.doesNotMatch(server.output(), NO_PID);

  fs.writeFileSync(python, '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
  await waitFor(() => readyLines(server, /^worker 1 \(pid: \d+\) ready/) === 2, 15_000, 'worker 1, spawned again');
  assert.doesNotMatch(server.output(), NO_PID);
});

test('with log-encoder json, the exit event of a worker that could not start has no pid (null)', async () => {
  const { home: venv, python } = home();
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--home', venv, '-p', '1', '--lazy-apps',
    '--forkbomb-delay', '1', '--log-encoder', 'json']);
  servers.push(server);
  const [first] = workerPids(server.output());
  fs.rmSync(python);
  process.kill(first.pid, 'SIGKILL');
  const exits = () => server.output().split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event?: string; worker_pid?: unknown }).filter((entry) => entry.event === 'exit');
  // the first is the killed worker's, the second the one that could not start
  await waitFor(() => exits().length >= 2, 10_000, 'two exit events');
  const [killed, unstarted] = exits();
  assert.equal(killed.worker_pid, first.pid);
  assert.equal(unstarted.worker_pid, null);
  fs.writeFileSync(python, '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
});
