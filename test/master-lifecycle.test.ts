// The master's lifecycle events and snapshot(), which the stats server, metrics and systemd notify
// read: the arbiter runs in this process with real workers (the hello example), and the test
// watches what it reports through a spawn, a request, a crash, a reload and a shutdown.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parseCommandLine } from '../src/config/index.ts';
import { Arbiter } from '../src/master/arbiter.ts';
import type { LifecycleEventMap } from '../src/master/lifecycle.ts';
import { httpRequest } from './helpers/wire.ts';
import { repoRoot } from './helpers/server.ts';

type Seen = { [K in keyof LifecycleEventMap]: { name: K; event: LifecycleEventMap[K][0] } }[keyof LifecycleEventMap];

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('lifecycle events and snapshot(): spawn, ready, a request, a crash, a reload, a shutdown', async () => {
  const command = parseCommandLine(
    ['--http', '127.0.0.1:0', '--wsgi-file', path.join(repoRoot, 'examples/hello/app.py'), '--processes', '2', '--disable-logging'],
    { PATH: process.env.PATH });
  assert.equal(command.kind, 'serve');
  const arbiter = new Arbiter(command.config);
  const seen: Seen[] = [];
  for (const name of ['spawn', 'ready', 'exit', 'reload', 'harakiri', 'recycle', 'queueFull'] as const) {
    arbiter.events.on(name, (event: unknown) => { seen.push({ name, event } as Seen); });
  }
  const count = (name: Seen['name']) => seen.filter((s) => s.name === name).length;
  const exitCode = arbiter.run();

  await until('two workers ready', () => count('ready') === 2);
  assert.equal(count('spawn'), 2);
  let snapshot = arbiter.snapshot();
  assert.equal(snapshot.pid, process.pid);
  assert.deepEqual(snapshot.workers.map((w) => [w.slot, w.state, w.role]), [[1, 'ready', 'serving'], [2, 'ready', 'serving']]);
  const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(snapshot.listeners[0] ?? '')?.[1]);
  assert.ok(port > 0, `the listener is in the snapshot: ${snapshot.listeners.join(', ')}`);

  const response = await httpRequest(`http://127.0.0.1:${port}/`);
  assert.equal(response.status, 200);
  snapshot = arbiter.snapshot();
  assert.equal(snapshot.totalRequests, 1);
  assert.equal(snapshot.workers.reduce((n, w) => n + w.requestsServed, 0), 1);

  const victim = snapshot.workers[0]!;
  process.kill(victim.pid, 'SIGKILL');
  await until('the crash and the respawn', () => count('spawn') === 3 && count('ready') === 3);
  const crash = seen.find((s) => s.name === 'exit');
  assert.deepEqual(crash?.event, { slot: victim.slot, pid: victim.pid, cause: 'died', code: null, signal: 'SIGKILL' });

  arbiter.reload('workers', 'a test reload');
  await until('the reload', () => count('ready') === 5 && count('exit') === 3);
  assert.deepEqual(seen.find((s) => s.name === 'reload')?.event, { kind: 'workers', why: 'a test reload' });
  const stopped = seen.filter((s) => s.name === 'exit').slice(1).map((s) => s.name === 'exit' && s.event.cause);
  assert.deepEqual(stopped, ['stopped', 'stopped'], 'the old workers were stopped, not lost');

  arbiter.shutdown('graceful', 'the test is over');
  assert.equal(await exitCode, 0);
  assert.equal(count('exit'), 5);
  assert.equal(count('harakiri') + count('recycle') + count('queueFull'), 0);
});
