// The master's signals besides SIGTERM and SIGHUP (docs/compat.md, "Signals"): SIGINT and SIGQUIT
// shut down fast, SIGUSR2 says what each worker is doing, SIGTSTP pauses and resumes, SIGTTIN and
// SIGTTOU add and remove a worker.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, isAlive, sleep, stopServer, waitFor, within, workerPids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

async function start(args: string[] = []): Promise<RunningServer> {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '2', ...args]);
  servers.push(server);
  return server;
}

for (const signal of ['SIGINT', 'SIGQUIT'] as const) {
  test(`${signal}: fast shutdown, without waiting for the request in flight`, async () => {
    const server = await start();
    const workers = workerPids(server.output()).map((w) => w.pid);
    const inFlight = httpRequest(`${server.url}/?sleep=30&id=dropped`, { timeoutMs: 40_000 }).then(
      (r) => `status ${r.status}`, (err: Error) => `error ${err.message}`);
    await server.waitForOutput(/request dropped started/);
    server.proc.kill(signal);
    const exit = await within(server.exited, 15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, server.output());
    assert.match(server.output(), new RegExp(`${signal} received: fast shutdown \\(1 requests dropped\\)`));
    assert.match(await inFlight, /^error /);
    await waitFor(() => workers.every((pid) => !isAlive(pid)), 10_000, 'the workers to be gone');
  });
}

test('SIGUSR2: the log says which request each worker is running, and since when', async () => {
  const server = await start();
  const slow = httpRequest(`${server.url}/?sleep=2&id=watched`);
  await server.waitForOutput(/request watched started/);
  server.proc.kill('SIGUSR2');
  await server.waitForOutput(/SIGUSR2: worker \d \(pid: \d+\) is managing request GET \/\?sleep=2&id=watched from 127\.0\.0\.1 since \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} \(\d+\.\d{3} s\)/);
  await server.waitForOutput(/SIGUSR2: worker \d \(pid: \d+\) ready, no request/);
  assert.equal((await slow).status, 200);
});

test('SIGTSTP pauses: requests wait in the master; SIGTSTP again resumes and they are served', async () => {
  const server = await start();
  server.proc.kill('SIGTSTP');
  await server.waitForOutput(/\*\*\* PAUSE/);
  let answered = false;
  const waiting = httpRequest(server.url, { timeoutMs: 20_000 }).then((r) => { answered = true; return r; });
  await sleep(500);
  assert.equal(answered, false, 'a request was served while paused');
  server.proc.kill('SIGTSTP');
  await server.waitForOutput(/\*\*\* RESUME/);
  assert.equal((await waiting).status, 200);
});

test('SIGTTIN adds a worker, SIGTTOU removes one (gracefully)', async () => {
  const server = await start();
  server.proc.kill('SIGTTIN');
  await server.waitForOutput(/adding worker 3 \(now 3 workers\)/);
  await server.waitForOutput(/worker 3 \(pid: \d+\) ready/, 20_000);
  server.proc.kill('SIGTTOU');
  await server.waitForOutput(/removing worker 3 \(now 2 workers\)/);
  await server.waitForOutput(/worker 3 \(pid: \d+\) buried/, 10_000);
  server.proc.kill('SIGTTOU');
  await server.waitForOutput(/removing worker 2 \(now 1 workers\)/);
  server.proc.kill('SIGTTOU');
  await server.waitForOutput(/cannot remove the last worker/);
  assert.equal((await httpRequest(server.url)).status, 200);
});
