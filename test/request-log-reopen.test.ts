// logto and daemonize with logrotate: after the file is renamed, master-fifo `l` (or `L`, or SIGHUP)
// makes the master open the name again; the workers' lines come through the master, so they follow.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cliPath, fixtureApps } from './helpers/server.ts';
import { httpRequest, isAlive, tempDir, waitFor } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'log_probe.py');
const children: ChildProcess[] = [];
const daemons: number[] = [];
after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
  for (const pid of daemons) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
});

function read(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

test('master-fifo l and L reopen the logto file after logrotate renamed it', async () => {
  const dir = tempDir();
  const logFile = path.join(dir, 'app.log');
  const fifo = path.join(dir, 'master.fifo');
  const proc = spawn(process.execPath, [cliPath, '--http', '127.0.0.1:0', '--wsgi-file', app, '--logto', logFile,
    '--master-fifo', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  await waitFor(() => read(logFile).includes('nuwsgi is ready'), 20_000, 'the server ready');
  const url = `http://127.0.0.1:${/HTTP listening on \S+:(\d+)/.exec(read(logFile))![1]}`;
  await httpRequest(`${url}/before`);
  await waitFor(() => read(logFile).includes('GET /before'), 5000, 'the first line');

  fs.renameSync(logFile, logFile + '.1');
  fs.writeFileSync(fifo, 'l');
  await waitFor(() => fs.existsSync(logFile), 5000, 'the file written anew');
  await httpRequest(`${url}/after`);
  await httpRequest(`${url}/print`);
  await waitFor(() => read(logFile).includes('GET /after') && read(logFile).includes('a line on stderr'), 5000, 'lines in the new file');
  assert.ok(!read(logFile + '.1').includes('GET /after'));
  assert.ok(read(logFile).includes('a line on stdout'), 'the worker\'s output follows the master');

  fs.renameSync(logFile, logFile + '.2');
  fs.writeFileSync(fifo, 'L');
  await waitFor(() => fs.existsSync(logFile), 5000, 'the file written anew after L');
  await httpRequest(`${url}/later`);
  await waitFor(() => read(logFile).includes('GET /later'), 5000, 'the line after L');
  assert.equal(stderr, '', 'nothing goes to stderr');
});

test('SIGHUP reopens the daemonize file before reloading', async () => {
  const dir = tempDir();
  const logFile = path.join(dir, 'daemon.log');
  const pidfile = path.join(dir, 'app.pid');
  const run = spawnSync(process.execPath, [cliPath, '--http', '127.0.0.1:0', '--wsgi-file', app, '--daemonize', logFile,
    '--pidfile', pidfile], { timeout: 20_000 });
  assert.equal(run.status, 0, String(run.stderr));
  await waitFor(() => read(logFile).includes('nuwsgi is ready'), 20_000, 'the daemon ready');
  const pid = Number(fs.readFileSync(pidfile, 'utf8'));
  daemons.push(pid);
  const url = `http://127.0.0.1:${/HTTP listening on \S+:(\d+)/.exec(read(logFile))![1]}`;

  fs.renameSync(logFile, logFile + '.1');
  process.kill(pid, 'SIGHUP');
  await waitFor(() => read(logFile).includes('reload complete'), 20_000, 'the reload logged in the new file');
  await httpRequest(`${url}/after-hup`);
  await waitFor(() => read(logFile).includes('GET /after-hup'), 5000, 'the request line in the new file');
  assert.ok(!read(logFile + '.1').includes('GET /after-hup'));
  process.kill(pid, 'SIGTERM');
  await waitFor(() => !isAlive(pid), 15_000, 'the daemon gone');
});
