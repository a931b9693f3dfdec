// harakiri on a uwsgi socket: the worker accepted the connection itself, so its watchdog thread
// answers a request past --harakiri with a 504 (the status line follows the request's
// SERVER_PROTOCOL), or cuts the connection when part of the response already went out; the master
// hears of it, logs it as it does for its own requests, and replaces the worker.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { encodePacket, exchange, nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';
import { isAlive, parseResponse, stopServer, waitFor, workerPids, type RawResponse } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const stuckStream = path.join(fixtureApps, 'stuck_stream.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

async function start(wsgiFile: string, args: string[]): Promise<RunningServer> {
  const server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', wsgiFile, ...args]);
  servers.push(server);
  return server;
}

/** The whole response of a request that sleeps 60 s: only harakiri ends it within `timeoutMs`. */
async function stuckRequest(target: UwsgiTarget, vars: ReadonlyArray<readonly [string, string]>, timeoutMs = 10_000) {
  const { data, error } = await exchange(target, [encodePacket(vars)], { timeoutMs });
  return { data, error, parsed: parseResponse(data, { eof: true })?.response };
}

const GATEWAY_TIMEOUT_BODY = '504 Gateway Timeout\n';

function assertWorker504(r: RawResponse | undefined, protocol: string, data: Buffer) {
  assert.ok(r, `no response: ${JSON.stringify(data.toString('latin1'))}`);
  assert.equal(r.statusCode, 504, r.headText);
  assert.equal(r.headText.split('\r\n')[0], `${protocol} 504 Gateway Timeout`);
  assert.equal(r.body.toString('latin1'), GATEWAY_TIMEOUT_BODY);
  assert.equal(r.complete, true);
}

/** Waits until the worker of slot `id` has a ready pid other than `old`; returns it. */
async function replacement(server: RunningServer, id: number, old: number): Promise<number> {
  let pid = 0;
  await waitFor(() => {
    const m = [...server.output().matchAll(new RegExp(`worker ${id} \\(pid: (\\d+)\\) ready`, 'g'))]
      .map((x) => Number(x[1])).filter((p) => p !== old);
    pid = m.at(-1) ?? 0;
    return pid !== 0;
  }, 20_000, `a ready replacement of worker ${id}`);
  return pid;
}

test('-p 1: a uwsgi request past --harakiri gets the worker\'s 504, the master logs it, the worker is replaced', async () => {
  const server = await start(app, ['--harakiri', '1', '-p', '1']);
  const target = uwsgiTarget(server);
  const [first] = workerPids(server.output());
  assert.ok(first);

  // the app sleeps 60 s: a response within 10 s is harakiri's
  const stuck = await stuckRequest(target, nginxVars({ uri: '/?sleep=60&id=stuck' }));
  assertWorker504(stuck.parsed, 'HTTP/1.1', stuck.data);
  // exactly the watchdog's bytes, nothing before or after
  assert.equal(stuck.data.toString('latin1'),
    `HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: ${GATEWAY_TIMEOUT_BODY.length}\r\n\r\n${GATEWAY_TIMEOUT_BODY}`);
  assert.match(server.output(), /request stuck started/);

  await server.waitForOutput(/GET \/\?sleep=60&id=stuck => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 504\)/);
  const log = server.output();
  assert.match(log, new RegExp(`\\*\\*\\* HARAKIRI ON WORKER 1 \\(pid: ${first.pid}, try: 1, graceful: no\\) \\*\\*\\*`));
  assert.match(log, new RegExp(`HARAKIRI worker 1 \\(pid: ${first.pid}\\): 127\\.0\\.0\\.1 - GET /\\?sleep=60&id=stuck running for \\d+\\.\\d s \\(harakiri 1 s\\): 504`));
  assert.match(log, new RegExp(`\\[pid: ${first.pid}\\|[^\\n]*GET /\\?sleep=60&id=stuck => generated 20 bytes in \\d+ msecs \\(HTTP/1\\.1 504\\)`));
  assert.equal(log.match(/HARAKIRI ON WORKER/g)?.length, 1, 'one harakiri');

  await waitFor(() => !isAlive(first.pid), 10_000, 'the harakiri\'d worker to be killed');
  await server.waitForOutput(new RegExp(`worker 1 \\(pid: ${first.pid}\\) buried`), 10_000);
  const next = await replacement(server, 1, first.pid);
  assert.notEqual(next, first.pid);
  const r = await uwsgiRequest(target, nginxVars({ uri: '/?id=after' }), '', { timeoutMs: 10_000 });
  assert.equal(r.statusCode, 200);
  assert.equal(r.body.toString(), `pid ${next} greeting -`, 'served by the replacement');
  assert.ok(isAlive(server.pid), 'the master is still running');
});

test('the 504\'s status line follows the request\'s SERVER_PROTOCOL', async () => {
  const server = await start(app, ['--harakiri', '1', '-p', '1']);
  const target = uwsgiTarget(server);
  const vars = nginxVars({ uri: '/?sleep=60&id=http10' }).map(([k, v]) => [k, k === 'SERVER_PROTOCOL' ? 'HTTP/1.0' : v] as [string, string]);
  const stuck = await stuckRequest(target, vars);
  assertWorker504(stuck.parsed, 'HTTP/1.0', stuck.data);
  await server.waitForOutput(/GET \/\?sleep=60&id=http10 => generated 20 bytes in \d+ msecs \(HTTP\/1\.0 504\)/);
});

test('-p 2: the other worker serves while the stuck one is answered for and replaced', async () => {
  const server = await start(app, ['--harakiri', '1', '-p', '2']);
  const target = uwsgiTarget(server);
  const initial = workerPids(server.output());
  assert.equal(initial.length, 2);

  const stuck = stuckRequest(target, nginxVars({ uri: '/?sleep=60&id=stuck2' }));
  await server.waitForOutput(/request stuck2 started/);
  // the worker that took it: the one that is not answering the others
  const servedBy = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const r = await uwsgiRequest(target, nginxVars({ uri: `/?id=other${i}` }), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
    servedBy.add(Number(/^pid (\d+) /.exec(r.body.toString())?.[1]));
  }
  const result = await stuck;
  assertWorker504(result.parsed, 'HTTP/1.1', result.data);

  await server.waitForOutput(/GET \/\?sleep=60&id=stuck2 => generated 20 bytes in \d+ msecs \(HTTP\/1\.1 504\)/);
  const m = /\*\*\* HARAKIRI ON WORKER (\d) \(pid: (\d+), try: 1, graceful: no\) \*\*\*/.exec(server.output());
  assert.ok(m, server.output());
  const [slot, doomed] = [Number(m[1]), Number(m[2])];
  assert.ok(initial.some((w) => w.id === slot && w.pid === doomed), `${doomed} is one of the first workers`);
  assert.ok(!servedBy.has(doomed), 'the stuck worker answered nothing else meanwhile');
  assert.match(server.output(), new RegExp(`HARAKIRI worker ${slot} \\(pid: ${doomed}\\): 127\\.0\\.0\\.1 - GET /\\?sleep=60&id=stuck2 running for \\d+\\.\\d s \\(harakiri 1 s\\): 504`));

  await waitFor(() => !isAlive(doomed), 10_000, 'the harakiri\'d worker to be killed');
  await server.waitForOutput(new RegExp(`worker ${slot} \\(pid: ${doomed}\\) buried`), 10_000);
  const next = await replacement(server, slot, doomed);
  assert.equal(workerPids(server.output()).length, 3, 'one replacement');
  const live = new Set([next, ...initial.filter((w) => w.pid !== doomed).map((w) => w.pid)]);
  for (let i = 0; i < 6; i++) {
    const r = await uwsgiRequest(target, nginxVars({ uri: `/?id=after${i}` }), '', { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
    const pid = Number(/^pid (\d+) /.exec(r.body.toString())?.[1]);
    assert.ok(live.has(pid), `served by ${pid}, one of ${[...live].join(', ')}`);
  }
});

test('a response already partly sent is cut, not answered with a 504 (declared Content-Length: it ends early)', async () => {
  const server = await start(stuckStream, ['--harakiri', '1', '-p', '1']);
  const target = uwsgiTarget(server);
  const [first] = workerPids(server.output());
  assert.ok(first);
  const stuck = await stuckRequest(target, nginxVars({ uri: '/?size=1000&cl=1&id=cl' }));
  const r = stuck.parsed;
  assert.ok(r, `no response head: ${JSON.stringify(stuck.data.toString('latin1'))}`);
  assert.equal(r.statusCode, 200, 'the head the app sent, not a 504');
  assert.equal(r.complete, false, 'the body ended before its declared Content-Length');
  assert.equal(r.body.toString('latin1'), 'a'.repeat(1000));
  assert.ok(!stuck.data.includes('504'), 'no 504 after the partial response');
  await server.waitForOutput(new RegExp(`\\*\\*\\* HARAKIRI ON WORKER 1 \\(pid: ${first.pid}, try: 1, graceful: no\\) \\*\\*\\*`));
  await waitFor(() => !isAlive(first.pid), 10_000, 'the harakiri\'d worker to be killed');
  const next = await replacement(server, 1, first.pid);
  assert.notEqual(next, first.pid);
});

test('a response already partly sent without a Content-Length is reset, so that nginx cannot take it for a whole one', async () => {
  const server = await start(stuckStream, ['--harakiri', '1', '-p', '1']);
  const target = uwsgiTarget(server);
  const [first] = workerPids(server.output());
  assert.ok(first);
  const stuck = await stuckRequest(target, nginxVars({ uri: '/?size=1000&id=nocl' }));
  const r = stuck.parsed;
  assert.ok(r, `no response head: ${JSON.stringify(stuck.data.toString('latin1'))}`);
  assert.equal(r.statusCode, 200, 'the head the app sent, not a 504');
  assert.ok(!stuck.data.includes('504'), 'no 504 after the partial response');
  assert.ok(r.body.length <= 1000, 'nothing of the second chunk');
  // the end of the connection is the end of such a response: only a reset says it is cut short
  assert.equal((stuck.error as NodeJS.ErrnoException | undefined)?.code, 'ECONNRESET',
    `the connection ended with ${stuck.error?.message ?? 'a clean close (FIN)'} after ${stuck.data.length} bytes`);
  await waitFor(() => !isAlive(first.pid), 10_000, 'the harakiri\'d worker to be killed');
});
