// The `uwsgi` module in the workers (python/nuwsgi_worker/uwsgi_module.py): `import uwsgi` works,
// worker_id() and masterpid() match the master, uwsgi.opt shows the options as uWSGI 2.0 does on
// Python 3, the post_fork_hook and atexit hooks run once per worker, uwsgi.reload() signals the
// master, and Debian's python3-uwsgidecorators loads and runs its @postfork functions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { decoratorsVenv } from './helpers/peers.ts';
import { fixtureApps, runToExit, startServer } from './helpers/server.ts';

interface Probe {
  worker_id: number;
  masterpid: number;
  pid: number;
  numproc: number;
  total_requests: number;
  opt: Record<string, [string, unknown]>;
}

/** A fresh directory for the hooks' log file, removed after the test. */
function probeLog(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuwsgi-uwsgi-module-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'hooks.log');
}

/** The hook log's lines without their pids ("postfork 1": event and worker id), sorted. */
function hookEvents(file: string): string[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n')
    .map((line) => line.split(' ').slice(0, 2).join(' '))
    .sort();
}

function masterPid(output: string): number {
  const m = output.match(/\*\*\* Starting nuwsgi \(master pid: (\d+)\) \*\*\*/);
  assert.ok(m, output);
  return Number(m[1]);
}

test('--master --processes 2: each worker knows who it is, sees the options, runs its hooks; reload() signals the master', async (t) => {
  const log = probeLog(t);
  const server = await startServer([
    '--http', '127.0.0.1:0', '--wsgi-file', `${fixtureApps}/uwsgi_probe.py`, '--master', '--processes', '2',
    '--env', 'PROBE_A=1', '--env', 'PROBE_B=2', '--catch-exceptions',
  ], { env: { UWSGI_PROBE_LOG: log } });
  t.after(() => server.stop());

  // Two slow requests at once: each worker takes one.
  const probes = await Promise.all([1, 2].map(async () =>
    (await fetch(`${server.url}/?sleep=0.5`)).json() as Promise<Probe>));
  assert.deepEqual(probes.map((p) => p.worker_id).sort(), [1, 2]);
  assert.notEqual(probes[0].pid, probes[1].pid);
  const master = masterPid(server.output());
  for (const probe of probes) {
    assert.equal(probe.masterpid, master);
    assert.equal(probe.numproc, 2);
    // Values are bytes, a flag given without a value is True, a repeated option shows its last value.
    assert.deepEqual(probe.opt.processes, ['bytes', '2']);
    assert.deepEqual(probe.opt.master, ['bool', true]);
    assert.deepEqual(probe.opt['catch-exceptions'], ['bool', true]);
    assert.deepEqual(probe.opt.env, ['bytes', 'PROBE_B=2']);
    assert.deepEqual(probe.opt['wsgi-file'], ['bytes', `${fixtureApps}/uwsgi_probe.py`]);
  }

  const reload = await (await fetch(`${server.url}/reload`)).json() as { reload: boolean };
  assert.equal(reload.reload, true);
  await server.waitForOutput(/SIGHUP/);

  const { code } = await server.stop();
  assert.equal(code, 0);
  // postfork, then atexit, once each in both workers. (Once the master implements SIGHUP as a
  // reload, the workers that replace them add lines of their own pids.)
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' '));
  for (const probe of probes) {
    const own = lines.filter(([, , pid]) => Number(pid) === probe.pid).map(([event]) => event);
    assert.deepEqual(own, ['postfork', 'atexit'], `hook lines of worker pid ${probe.pid}:\n${fs.readFileSync(log, 'utf8')}`);
  }
});

test('without --master, masterpid() is 0 and reload() still reaches the master', async (t) => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', `${fixtureApps}/uwsgi_probe.py`]);
  t.after(() => server.stop());
  const probe = await (await fetch(server.url)).json() as Probe;
  assert.equal(probe.masterpid, 0);
  assert.equal(probe.worker_id, 1);
  assert.equal(probe.opt.master, undefined);
  const second = await (await fetch(server.url)).json() as Probe;
  assert.equal(second.total_requests, 1);
  const reload = await (await fetch(`${server.url}/reload`)).json() as { reload: boolean };
  assert.equal(reload.reload, true);
  await server.waitForOutput(/SIGHUP/);
});

test("python3-uwsgidecorators: @postfork runs once in each worker, @postfork(2) only in worker 2", async (t) => {
  const venv = await decoratorsVenv(t);
  if (venv === undefined) return;
  const log = probeLog(t);
  const server = await startServer([
    '--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', `${fixtureApps}/uwsgi_decorators.py`,
    '--master', '--processes', '2',
  ], { env: { UWSGI_PROBE_LOG: log } });
  t.after(() => server.stop());
  const hello = await (await fetch(server.url)).json() as { worker_id: number };
  assert.ok([1, 2].includes(hello.worker_id));
  const { code } = await server.stop();
  assert.equal(code, 0);
  assert.deepEqual(hookEvents(log), ['atexit 1', 'atexit 2', 'postfork 1', 'postfork 2', 'postfork(2) 2']);
});

test('python3-uwsgidecorators without --master: the app fails to load, with its own message', async (t) => {
  const venv = await decoratorsVenv(t);
  if (venv === undefined) return;
  const result = await runToExit([
    '--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', `${fixtureApps}/uwsgi_decorators.py`,
  ], { env: { UWSGI_PROBE_LOG: '/dev/null' } });
  assert.notEqual(result.code, 0);
  assert.match(result.output, /you have to enable the uWSGI master process to use this module/);
});
