// An nginx `upstream` of two nuwsgi instances on unix sockets: round robin spreads the requests
// over both; when one instance dies (SIGKILL to its master, whose workers the kernel then kills),
// nginx's default `uwsgi_next_upstream error timeout` sends the requests to the other one, and
// only requests that were in flight at the moment of the kill may fail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, needNginx, startNginx, startNuwsgiSocket, uwsgiSite, type RunningNginx } from './helpers/nginx.ts';
import { fixtureApps, type RunningServer } from './helpers/server.ts';
import { httpRequest, isAlive, json, stopServer, tempDir, waitFor, workerPids, type Echo } from './helpers/wire.ts';

interface Outcome {
  startedAt: number;
  endedAt: number;
  status?: number;
  /** The pid of the worker that answered (echo.py's `pid`). */
  pid?: number;
  error?: string;
}

/** Runs `concurrency` request loops against `url` until `stop()` is called; records every request. */
function load(url: string, concurrency: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const startedAt = performance.now();
      try {
        const r = await httpRequest(url, { timeoutMs: 10_000 });
        const outcome: Outcome = { startedAt, endedAt: performance.now(), status: r.status };
        if (r.status === 200) outcome.pid = json<Echo>(r.body).pid;
        outcomes.push(outcome);
      } catch (err) {
        outcomes.push({ startedAt, endedAt: performance.now(), error: (err as Error).message });
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

test('nginx upstream of two nuwsgi instances: round robin, then failover when one is killed', { timeout: 60_000 }, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const dir = tempDir('nuwsgi-nginx-failover-');
  const servers: RunningServer[] = [];
  let nginx: RunningNginx | undefined;
  t.after(async () => {
    await nginx?.stop();
    await Promise.all(servers.map((s) => stopServer(s)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sockets = [path.join(dir, 'a.sock'), path.join(dir, 'b.sock')];
  const [a, b] = await Promise.all(sockets.map(async (socket) => {
    const server = await startNuwsgiSocket(socket, ['--wsgi-file', path.join(fixtureApps, 'echo.py'), '--master', '--processes', '1']);
    servers.push(server);
    return server;
  }));
  const port = await freePort();
  nginx = await startNginx(nginxPath, {
    dir, port,
    http: `    upstream nuwsgi_pool {
        server unix:${sockets[0]};
        server unix:${sockets[1]};
    }

${uwsgiSite({ port, pass: 'nuwsgi_pool' })}`,
  });
  const url = `${nginx.url}/who`;
  const workersOf = (server: RunningServer) => new Set(workerPids(server.output()).map((w) => w.pid));
  const aWorkers = workersOf(a!);
  const bWorkers = workersOf(b!);
  assert.equal(aWorkers.size, 1, `one worker line in:\n${a!.output()}`);
  assert.equal(bWorkers.size, 1, `one worker line in:\n${b!.output()}`);

  await t.test('requests are spread over both instances', async () => {
    let onA = 0;
    let onB = 0;
    for (let i = 0; i < 20; i++) {
      const r = await httpRequest(url);
      assert.equal(r.status, 200, r.body.toString('latin1'));
      const pid = json<Echo>(r.body).pid;
      if (aWorkers.has(pid)) onA++;
      else if (bWorkers.has(pid)) onB++;
      else assert.fail(`pid ${pid} is no worker of either instance (a: ${[...aWorkers]}, b: ${[...bWorkers]})`);
    }
    // Round robin with equal weights alternates; allow some slack all the same.
    assert.ok(onA >= 5 && onB >= 5, `20 requests: ${onA} on a, ${onB} on b`);
  });

  await t.test('after SIGKILL to one master, every request is answered by the other', async () => {
    const traffic = load(url, 4);
    await waitFor(() => traffic.outcomes.length >= 20, 10_000, '20 requests before the kill');
    const killedAt = performance.now();
    a!.proc.kill('SIGKILL');
    await a!.exited;
    await waitFor(() => [...aWorkers].every((p) => !isAlive(p)), 5_000, 'the killed master\'s worker to die with it');
    const deadAt = performance.now();
    const before = traffic.outcomes.length;
    await waitFor(() => traffic.outcomes.filter((o) => o.startedAt > deadAt).length >= 40, 15_000, '40 requests after the kill');
    await traffic.stop();

    const describe = (o: Outcome) => o.error ?? `status ${o.status}`;
    const failed = traffic.outcomes.filter((o) => o.status !== 200);
    const inFlight = (o: Outcome) => o.startedAt < deadAt && o.endedAt > killedAt;
    const unexcused = failed.filter((o) => !inFlight(o));
    assert.deepEqual(unexcused.map(describe), [], `${failed.length} failed of ${traffic.outcomes.length} ` +
      `(${before} before the kill); only requests in flight at the kill may fail`);

    const after = traffic.outcomes.filter((o) => o.startedAt > deadAt);
    const strays = after.filter((o) => o.pid === undefined || !bWorkers.has(o.pid));
    assert.deepEqual(strays.map((o) => o.pid ?? describe(o)), [], 'every request after the kill is answered by b\'s worker');
  });

  await t.test('nginx logged why it skipped the dead instance', () => {
    const log = nginx!.errorLog();
    assert.ok(log.includes(sockets[0]!), `the error log names ${sockets[0]}:\n${log.slice(-3000)}`);
    const survivorErrors = log.split('\n').filter((l) => /\[(error|crit|alert)\]/.test(l) && l.includes(sockets[1]!));
    assert.deepEqual(survivorErrors, [], 'no errors for the instance that stayed up');
  });
});
