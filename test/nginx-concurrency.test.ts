// Concurrency behind nginx (uwsgi_pass to a unix socket the workers accept on): one worker with
// `--threads 4`, and one with `--gevent 10` (gevent from Debian's python3-gevent, through a
// --system-site-packages virtualenv), serves several slow requests at once, answers a burst of
// normal requests, and the master writes a request log line for every one of them from the
// workers' batched records.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { needNginx, nuwsgiBehindNginx, type RunningNginx } from './helpers/nginx.ts';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { fixtureApps, type RunningServer } from './helpers/server.ts';
import { httpRequest, waitFor, workerPids } from './helpers/wire.ts';

const SLOW = 4;
const SLOW_SECONDS = 1;
const BURST = 120;
const BURST_PARALLEL = 20;

/** nuwsgi (slow.py, one worker, `mode` args) on a unix socket, nginx in front; stopped after the test. */
function setUp(t: TestContext, nginxPath: string, mode: string[]) {
  return nuwsgiBehindNginx(t, nginxPath, [
    '--wsgi-file', path.join(fixtureApps, 'slow.py'), '--master', '--processes', '1', ...mode,
  ]);
}

/** The request log line the master writes for `GET target`, or undefined. */
function logLine(output: string, target: string): string | undefined {
  return output.split('\n').find((l) => l.startsWith('[pid: ') && l.includes(` GET ${target} => generated `));
}

async function concurrencyChecks(t: TestContext, server: RunningServer, nginx: RunningNginx, cores: number) {
  const [worker] = workerPids(server.output());
  assert.ok(worker !== undefined, server.output());
  assert.match(server.output(), new RegExp(`spawned worker 1 \\(pid: ${worker.pid}, cores: ${cores}\\)`));

  // Slow requests at once: about one sleep in all, not SLOW of them.
  const ids = Array.from({ length: SLOW }, (_, i) => `s${i + 1}`);
  const started = Date.now();
  const slow = await Promise.all(ids.map((id) => httpRequest(`${nginx.url}/?sleep=${SLOW_SECONDS}&id=${id}`, { timeoutMs: 15_000 })));
  const elapsed = Date.now() - started;
  assert.deepEqual(slow.map((r) => r.status), ids.map(() => 200));
  assert.deepEqual(slow.map((r) => r.body.toString('latin1')), ids.map((id) => `slept ${SLOW_SECONDS} (${id})`));
  t.diagnostic(`${SLOW} requests sleeping ${SLOW_SECONDS} s took ${elapsed} ms in one worker`);
  assert.ok(elapsed < SLOW * SLOW_SECONDS * 1000 * 0.625,
    `${SLOW} requests sleeping ${SLOW_SECONDS} s took ${elapsed} ms (serially: ${SLOW * SLOW_SECONDS * 1000} ms)`);

  // A burst of normal requests, BURST_PARALLEL at a time: every one answered 200.
  const burstIds = Array.from({ length: BURST }, (_, i) => `b${i + 1}`);
  const failures: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: BURST_PARALLEL }, async () => {
    while (next < burstIds.length) {
      const id = burstIds[next++]!;
      try {
        const r = await httpRequest(`${nginx.url}/?sleep=0&id=${id}`, { timeoutMs: 15_000 });
        if (r.status !== 200 || r.body.toString('latin1') !== `slept 0 (${id})`) {
          failures.push(`${id}: ${r.status} ${r.body.subarray(0, 200).toString('latin1')}`);
        }
      } catch (err) {
        failures.push(`${id}: ${(err as Error).message}`);
      }
    }
  }));
  assert.deepEqual(failures, [], `nginx errors:\n${nginx.errorLog().split('\n').filter((l) => /\[error\]/.test(l)).slice(0, 5).join('\n')}`);

  // The master logs every request (the workers report them in batches): one line each, the worker's pid in it.
  const targets = [...ids.map((id) => `/?sleep=${SLOW_SECONDS}&id=${id}`), ...burstIds.map((id) => `/?sleep=0&id=${id}`)];
  try {
    await waitFor(() => targets.every((target) => logLine(server.output(), target) !== undefined), 10_000, 'a log line for every request');
  } catch (err) {
    const missing = targets.filter((target) => logLine(server.output(), target) === undefined);
    throw new Error(`${(err as Error).message}: ${missing.length} of ${targets.length} missing (${missing.slice(0, 5).join(', ')}...)`);
  }
  for (const target of targets) {
    const line = logLine(server.output(), target)!;
    assert.match(line, new RegExp(`^\\[pid: ${worker.pid}\\|app: 0\\|req: \\d+/\\d+\\] 127\\.0\\.0\\.1 .* \\(HTTP/1\\.\\d 200\\) `), line);
    assert.equal(server.output().split('\n').filter((l) => l.includes(` GET ${target} => `)).length, 1, `one log line for ${target}`);
  }
  // The slow ones ran at once, so on different cores of the worker.
  const slowCores = new Set(ids.map((id) => /on core (\d+)\)$/.exec(logLine(server.output(), `/?sleep=${SLOW_SECONDS}&id=${id}`)!)?.[1]));
  assert.equal(slowCores.size, SLOW, `the slow requests ran on cores ${[...slowCores].join(', ')}`);
  for (const core of slowCores) assert.ok(Number(core) < cores, `core ${core} of ${cores}`);
}

test('--threads 4 behind nginx: slow requests run at once, a burst is answered, every request is logged', async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const { server, nginx } = await setUp(t, nginxPath, ['--threads', '4']);
  assert.match(server.output(), /\*\*\* Operational MODE: threaded, 4 threads per worker \(threads = 4\) \*\*\*/);
  await concurrencyChecks(t, server, nginx, 4);
});

test('--gevent 10 behind nginx: slow requests run at once, a burst is answered, every request is logged', async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  if (!(await needPythonModule(t, 'gevent', 'python3-gevent'))) return;
  const venv = await systemVenv(t);
  if (venv === undefined) return;
  const { server, nginx } = await setUp(t, nginxPath, ['--home', venv, '--gevent', '10']);
  assert.match(server.output(), /\*\*\* Operational MODE: gevent, 10 async cores per worker \(gevent = 10\) \*\*\*/);
  await concurrencyChecks(t, server, nginx, 10);
});
