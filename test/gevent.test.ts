// gevent = N: each worker monkey-patches the standard library and runs N requests at once as
// greenlets; with threads and async also set (the classic tutorial), gevent wins and the log says so.
// gevent comes from Debian's python3-gevent, through a --system-site-packages virtualenv.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { fixtureApps, runToExit, startServer } from './helpers/server.ts';

/** The virtualenv with gevent, or undefined when the test was skipped. */
async function geventVenv(t: TestContext): Promise<string | undefined> {
  if (!(await needPythonModule(t, 'gevent', 'python3-gevent'))) return undefined;
  return systemVenv(t);
}

test('gevent = 20 serves 20 sleeping requests in about one sleep', async (t) => {
  const venv = await geventVenv(t);
  if (venv === undefined) return;
  const server = await startServer(['--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', `${fixtureApps}/slow.py`, '--gevent', '20']);
  t.after(() => server.stop());
  assert.match(server.output(), /\*\*\* Operational MODE: gevent, 20 async cores per worker \(gevent = 20\) \*\*\*/);
  const started = Date.now();
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  const bodies = await Promise.all(ids.map(async (id) => (await fetch(`${server.url}/?sleep=1&id=${id}`)).text()));
  const elapsed = Date.now() - started;
  assert.deepEqual(bodies, ids.map((id) => `slept 1 (${id})`));
  assert.ok(elapsed < 3000, `20 requests sleeping 1 s took ${elapsed} ms`);
});

test('gevent mode: wsgi.multithread is False, and request bodies arrive whole', async (t) => {
  const venv = await geventVenv(t);
  if (venv === undefined) return;
  const server = await startServer(['--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', `${fixtureApps}/echo.py`, '--gevent', '10']);
  t.after(() => server.stop());
  const body = Buffer.alloc(1_000_000, 'g');
  const info = await (await fetch(server.url, { method: 'POST', body })).json() as {
    body_len: number; wsgi: Record<string, { value: unknown }>;
  };
  assert.equal(info.body_len, body.length);
  assert.equal(info.wsgi['wsgi.multithread'].value, false);
});

test("the classic tutorial's --processes 5 --threads 100 --gevent 100 --async 100 runs in gevent mode", async (t) => {
  const venv = await geventVenv(t);
  if (venv === undefined) return;
  const server = await startServer([
    '--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', `${fixtureApps}/slow.py`,
    '--processes', '5', '--threads', '100', '--gevent', '100', '--async', '100',
  ]);
  t.after(() => server.stop());
  const modeLines = server.output().split('\n').filter((line) => line.includes('Operational MODE'));
  assert.deepEqual(modeLines, [
    '*** Operational MODE: gevent, 100 async cores per worker ' +
      '(gevent = 100; threads = 100 and async = 100 are ignored when gevent is set) ***',
  ]);
  assert.equal((server.output().match(/cores: 100\)/g) ?? []).length, 5);
  assert.equal(await (await fetch(`${server.url}/?sleep=0&id=x`)).text(), 'slept 0 (x)');
});

test('gevent without gevent in the workers\' Python is one clear startup error', async () => {
  // A gevent.py that fails to import shadows any installed gevent through PYTHONPATH.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuwsgi-no-gevent-'));
  fs.writeFileSync(path.join(dir, 'gevent.py'), "raise ImportError('no gevent here')\n");
  try {
    const result = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', `${fixtureApps}/slow.py`, '--gevent', '100'], {
      env: { PYTHONPATH: dir },
    });
    assert.equal(result.code, 1);
    assert.match(result.output, /gevent = 100 needs gevent in the workers' Python \(\S+\): apt-get install python3-gevent, or pip install gevent in the virtualenv/);
    assert.doesNotMatch(result.output, /spawned worker/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
