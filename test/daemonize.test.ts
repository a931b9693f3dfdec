// --daemonize FILE detaches (the command returns at once) and logs to FILE; --logto FILE logs to
// FILE without detaching. The workers' output (tracebacks, wsgi.errors) goes to the same file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cliPath, fixtureApps, runToExit } from './helpers/server.ts';
import { httpRequest, isAlive, tempDir, waitFor } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const started: number[] = [];
after(() => { for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL'); });

const readLog = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

async function portFromLog(file: string): Promise<number> {
  await waitFor(() => /\*\*\* nuwsgi is ready/.test(readLog(file)), 20_000, `the ready line in ${file}`);
  return Number(/HTTP listening on 127\.0\.0\.1:(\d+)/.exec(readLog(file))![1]);
}

test('--daemonize: the command returns, the detached master serves and logs to the file; --stop ends it', async () => {
  const dir = tempDir();
  const [logFile, pidfile] = [path.join(dir, 'app.log'), path.join(dir, 'app.pid')];
  const run = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', app, '--daemonize', logFile, '--pidfile', pidfile]);
  assert.deepEqual([run.code, run.output], [0, '']);
  const port = await portFromLog(logFile);
  const pid = Number(fs.readFileSync(pidfile, 'utf8'));
  started.push(pid);
  const r = await httpRequest(`http://127.0.0.1:${port}/?id=daemon`);
  assert.equal(r.status, 200);
  await waitFor(() => readLog(logFile).includes('request daemon started'), 10_000, "the worker's output in the log file");
  assert.equal((await runToExit(['--stop', pidfile])).code, 0);
  await waitFor(() => !isAlive(pid), 15_000, 'the daemon to exit');
  assert.match(readLog(logFile), /goodbye to nuwsgi/);
});

test('--logto: the master and the workers log to the file, nothing to stderr', async () => {
  const dir = tempDir();
  const logFile = path.join(dir, 'app.log');
  const proc = spawn(process.execPath, [cliPath, '--http', '127.0.0.1:0', '--wsgi-file', app, '--logto', logFile],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc.pid!);
  let console = '';
  proc.stdout.on('data', (c: Buffer) => { console += c; });
  proc.stderr.on('data', (c: Buffer) => { console += c; });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const port = await portFromLog(logFile);
  assert.equal((await httpRequest(`http://127.0.0.1:${port}/?id=logged`)).status, 200);
  await waitFor(() => readLog(logFile).includes('request logged started'), 10_000, "the worker's output in the log file");
  await waitFor(() => /GET \/\?id=logged => generated/.test(readLog(logFile)), 10_000, 'the request line in the log file');
  proc.kill('SIGTERM');
  await exited;
  assert.equal(console, '');
});
