// SIGUSR2 and SIGUSR1 with uwsgi sockets: the workers accept those connections themselves, so the
// master passes SIGUSR2 on and each worker says what each of its cores is doing; SIGUSR1's stats
// count the requests the workers served on the uwsgi sockets (they report each one to the master).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { encodePacket, exchange, nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { isAlive, parseResponse, sleep, stopServer, waitFor, workerPids } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

async function start(args: string[]): Promise<RunningServer> {
  const server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', app, ...args]);
  servers.push(server);
  return server;
}

const CTIME = String.raw`\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}`;

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

test('SIGUSR2: the worker running a uwsgi request says which one and since when; an idle core says so', async () => {
  const server = await start(['-p', '2']);
  const target = uwsgiTarget(server);
  const workers = workerPids(server.output());
  assert.equal(workers.length, 2);

  const slow = exchange(target, [encodePacket(nginxVars({ uri: '/?sleep=3&id=watched' }))], { timeoutMs: 20_000 });
  await server.waitForOutput(/request watched started/);
  server.proc.kill('SIGUSR2');
  const busy = await server.waitForOutput(new RegExp(
    String.raw`SIGUSR2: worker (\d) \(pid: (\d+)\) core 0 is managing request GET /\?sleep=3&id=watched from 127\.0\.0\.1 since ${CTIME} \((\d+\.\d{3}) s\)`));
  const [busyId, busyPid, elapsed] = [Number(busy[1]), Number(busy[2]), Number(busy[3])];
  assert.ok(workers.some((w) => w.id === busyId && w.pid === busyPid), `worker ${busyId} (pid: ${busyPid}) is one of ours`);
  assert.ok(elapsed >= 0 && elapsed < 3, `running for ${elapsed} s`);
  const idle = workers.find((w) => w.pid !== busyPid)!;
  await server.waitForOutput(new RegExp(`SIGUSR2: worker ${idle.id} \\(pid: ${idle.pid}\\) core 0: no uwsgi request`));
  assert.equal(count(server.output(), /is managing request GET \/\?sleep=3&id=watched/), 1, 'one report of the request');

  // nobody died of the signal: the request completes, both workers still serve
  const { data } = await slow;
  const r = parseResponse(data, { eof: true })?.response;
  assert.equal(r?.statusCode, 200, JSON.stringify(data.toString('latin1')));
  assert.equal(r.body.toString(), `pid ${busyPid} greeting -`);
  assert.ok(isAlive(server.pid), 'the master survived');
  for (const w of workers) assert.ok(isAlive(w.pid), `worker ${w.id} (pid: ${w.pid}) survived`);
  assert.doesNotMatch(server.output(), /buried/);
  assert.equal(workerPids(server.output()).length, 2, 'no worker was respawned');
});

test('SIGUSR2 on an idle worker, several times: "core 0: no uwsgi request", and it keeps serving', async () => {
  const server = await start(['-p', '1']);
  const target = uwsgiTarget(server);
  const [worker] = workerPids(server.output());
  assert.ok(worker);
  const idleLine = new RegExp(`SIGUSR2: worker 1 \\(pid: ${worker.pid}\\) core 0: no uwsgi request`);
  for (let i = 1; i <= 3; i++) {
    server.proc.kill('SIGUSR2');
    await waitFor(() => count(server.output(), idleLine) >= i, 10_000, `idle report #${i}`);
    const r = await uwsgiRequest(target, nginxVars({ uri: `/?id=between${i}` }), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body.toString(), `pid ${worker.pid} greeting -`);
  }
  assert.doesNotMatch(server.output(), new RegExp(`pid: ${worker.pid}\\) core 0 is managing`));
  assert.ok(isAlive(server.pid) && isAlive(worker.pid));
  assert.doesNotMatch(server.output(), /buried/);
});

test('SIGUSR2 while a request sleeps does not cut the sleep short or break the response', async () => {
  const server = await start(['-p', '1']);
  const target = uwsgiTarget(server);
  const [worker] = workerPids(server.output());
  assert.ok(worker);
  const started = Date.now();
  const slow = uwsgiRequest(target, nginxVars({ uri: '/?sleep=2&id=interrupted' }), '', { timeoutMs: 20_000 });
  await server.waitForOutput(/request interrupted started/);
  for (let i = 1; i <= 3; i++) {
    server.proc.kill('SIGUSR2');
    await waitFor(() => count(server.output(), /is managing request GET \/\?sleep=2&id=interrupted/) >= i, 10_000, `report #${i}`);
    await sleep(100);
  }
  const r = await slow;
  assert.equal(r.statusCode, 200);
  assert.equal(r.body.toString(), `pid ${worker.pid} greeting -`);
  // time.sleep() resumes after the handler (PEP 475): the app slept its 2 s
  assert.ok(Date.now() - started >= 1_900, `answered after ${Date.now() - started} ms`);
  assert.ok(isAlive(worker.pid));
});

test('SIGUSR2 with --threads 2: one line per core, the busy one with its request', async () => {
  const server = await start(['-p', '1', '--threads', '2']);
  const target = uwsgiTarget(server);
  const [worker] = workerPids(server.output());
  assert.ok(worker);
  const slow = uwsgiRequest(target, nginxVars({ uri: '/?sleep=2&id=threaded' }), '', { timeoutMs: 20_000 });
  await server.waitForOutput(/request threaded started/);
  server.proc.kill('SIGUSR2');
  const busy = await server.waitForOutput(new RegExp(
    String.raw`SIGUSR2: worker 1 \(pid: ${worker.pid}\) core ([01]) is managing request GET /\?sleep=2&id=threaded from 127\.0\.0\.1 since ${CTIME} \(\d+\.\d{3} s\)`));
  const other = busy[1] === '0' ? 1 : 0;
  await server.waitForOutput(new RegExp(`SIGUSR2: worker 1 \\(pid: ${worker.pid}\\) core ${other}: no uwsgi request`));
  assert.equal((await slow).statusCode, 200);
  assert.ok(isAlive(worker.pid));
});

test('SIGUSR1: the stats count the requests served on the uwsgi socket', async () => {
  const server = await start(['-p', '1']);
  const target = uwsgiTarget(server);
  const [worker] = workerPids(server.output());
  assert.ok(worker);

  server.proc.kill('SIGUSR1');
  await server.waitForOutput(/workers total requests: 0\n/);

  const n = 7;
  for (let i = 0; i < n; i++) {
    const r = await uwsgiRequest(target, nginxVars({ uri: `/?id=counted${i}` }), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
  }
  // the worker reports each request after its response: wait for every log line first
  await waitFor(() => count(server.output(), /GET \/\?id=counted\d => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\)/) === n,
    10_000, `${n} request log lines`);
  server.proc.kill('SIGUSR1');
  await server.waitForOutput(new RegExp(`workers total requests: ${n}\\n`));
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${worker.pid}\\) ready: ${n} requests \\(${n} since its spawn\\), 0 exceptions, 0 of 1 cores busy`));
  // the workers are forked from the zygote (the default): it is in the report too
  await server.waitForOutput(/zygote \(pid: \d+\) ready \(started 1 time\)\n/);
  assert.match(server.output(), new RegExp(`\\[pid: ${worker.pid}\\|app: 0\\|req: ${n}/${n}\\] 127\\.0\\.0\\.1 [^\\n]* GET /\\?id=counted${n - 1} `));
  assert.ok(isAlive(server.pid) && isAlive(worker.pid), 'SIGUSR1 killed nothing');

  // and one more after the stats
  assert.equal((await uwsgiRequest(target, nginxVars({ uri: '/?id=later' }), '', { timeoutMs: 10_000 })).statusCode, 200);
  await server.waitForOutput(/GET \/\?id=later => generated/);
  server.proc.kill('SIGUSR1');
  await server.waitForOutput(new RegExp(`workers total requests: ${n + 1}\\n`));
});
