// pidfile, pidfile2, and `nuwsgi --reload PIDFILE` / `nuwsgi --stop PIDFILE`, as uWSGI's init
// scripts use them; vacuum removes the pidfiles on exit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, runToExit, startServer, type RunningServer } from './helpers/server.ts';
import { stopServer, tempDir, within } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

test('pidfile and pidfile2 hold the master pid; --reload and --stop signal it; vacuum removes them', async () => {
  const dir = tempDir();
  const [pidfile, pidfile2] = [path.join(dir, 'master.pid'), path.join(dir, 'master2.pid')];
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--pidfile', pidfile, '--pidfile2', pidfile2, '--vacuum']);
  servers.push(server);
  assert.equal(fs.readFileSync(pidfile, 'utf8'), `${server.pid}\n`);
  assert.equal(fs.readFileSync(pidfile2, 'utf8'), `${server.pid}\n`);

  const reload = await runToExit(['--reload', pidfile]);
  assert.deepEqual([reload.code, reload.output], [0, '']);
  await server.waitForOutput(/SIGHUP received: graceful reload/);
  await server.waitForOutput(/reload complete/, 20_000);

  const stop = await runToExit(['--stop', pidfile]);
  assert.equal(stop.code, 0, stop.output);
  assert.deepEqual(await within(server.exited, 15_000), { code: 0, signal: null }, server.output());
  assert.match(server.output(), /SIGTERM received: graceful shutdown/);
  assert.equal(fs.existsSync(pidfile), false);
  assert.equal(fs.existsSync(pidfile2), false);
});

test('--stop with a missing pidfile, or one naming no process, says so and exits 1', async () => {
  const dir = tempDir();
  const missing = await runToExit(['--stop', path.join(dir, 'none.pid')]);
  assert.equal(missing.code, 1);
  assert.match(missing.output, /nuwsgi: cannot read the pidfile .*none\.pid/);
  const stale = path.join(dir, 'stale.pid');
  fs.writeFileSync(stale, '999999999\n');
  const gone = await runToExit(['--reload', stale]);
  assert.equal(gone.code, 1);
  assert.match(gone.output, /no process 999999999 \(from .*stale\.pid\): is the server running\?/);
});
