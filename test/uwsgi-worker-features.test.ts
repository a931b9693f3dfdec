// What a worker offers the app keeps working when the worker serves a uwsgi socket itself: the
// `uwsgi` module (uwsgi.total_requests() counts those requests, uwsgi.reload() reaches the master),
// py-autoreload, and the master's request counters (SIGUSR1) and log lines, which come from the
// workers' records.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { json, stopServer, tempDir, waitFor } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

interface Probe { worker_id: number; masterpid: number; pid: number; total_requests: number }

test('the uwsgi module, the counters and uwsgi.reload() on a uwsgi socket', async () => {
  const server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'uwsgi_probe.py'),
    '--master', '-p', '1']);
  servers.push(server);
  const target = uwsgiTarget(server);
  const seen: Probe[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await uwsgiRequest(target, nginxVars({ uri: '/' }));
    assert.equal(r.statusCode, 200, r.body.toString());
    seen.push(json<Probe>(r.body));
  }
  assert.deepEqual(seen.map((p) => p.worker_id), [1, 1, 1]);
  assert.equal(seen[0]!.masterpid, server.pid);
  assert.deepEqual(seen.map((p) => p.total_requests), [0, 1, 2], 'uwsgi.total_requests() counts the requests served');

  await waitFor(() => (server.output().match(/\(HTTP\/1\.1 200\)/g)?.length ?? 0) === 3, 5_000, 'a log line per request');
  const mark = server.output().length;
  server.proc.kill('SIGUSR1');
  await waitFor(() => server.output().slice(mark).includes('workers total requests: 3\n'), 5_000, 'the counters');
  assert.match(server.output().slice(mark), /worker 1 \(pid: \d+\) ready: 3 requests/);

  const r = await uwsgiRequest(target, nginxVars({ uri: '/reload' }));
  assert.equal(r.statusCode, 200);
  await server.waitForOutput(/reload complete/, 20_000);
  // the old worker may still take a connection or two until it sees its STOP; it is gone soon after
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${seen[0]!.pid}\\) buried`), 10_000);
  const after = json<Probe>((await uwsgiRequest(target, nginxVars({ uri: '/' }), '', { timeoutMs: 20_000 })).body);
  assert.notEqual(after.pid, seen[0]!.pid, 'a new worker answers after the reload');
});

test('py-autoreload on a uwsgi socket: the new code answers, no request fails', async () => {
  const dir = tempDir();
  fs.copyFileSync(path.join(fixtureApps, 'reports_version.py'), path.join(dir, 'app.py'));
  const versionFile = path.join(dir, 'app_version.py');
  const startedAt = Math.floor(Date.now() / 1000);
  fs.writeFileSync(versionFile, "VERSION = 'one'\n");
  fs.utimesSync(versionFile, startedAt - 60, startedAt - 60);
  const socket = path.join(dir, 'app.sock');
  const server = await startServer(['--socket', socket, '--wsgi-file', path.join(dir, 'app.py'), '--pythonpath', dir,
    '--py-autoreload', '1']);
  servers.push(server);
  const target = { path: socket };
  assert.equal((await uwsgiRequest(target, nginxVars())).body.toString(), 'one');
  fs.writeFileSync(versionFile, "VERSION = 'two'\n");
  fs.utimesSync(versionFile, startedAt, startedAt);
  const answers: string[] = [];
  const deadline = Date.now() + 15_000;
  while (!answers.includes('two') && Date.now() < deadline) {
    const r = await uwsgiRequest(target, nginxVars(), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
    answers.push(r.body.toString());
  }
  assert.ok(answers.includes('two'), `the new code never answered: ${[...new Set(answers)].join(', ')}`);
  assert.match(server.output(), /has modified code \(py-autoreload\)/);
});
