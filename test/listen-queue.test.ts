// Requests waiting in the master for a busy worker are bounded by --listen: past it, the client
// gets 503 with Retry-After, the log says so once a second naming --listen, and the requests that
// were queued are served once the worker is free. Connections on a uwsgi socket wait in the
// kernel's backlog instead (the workers accept them): they are served once the worker is free.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, json, sleep, stopServer, tempDir, waitFor, type HttpResult } from './helpers/wire.ts';

const gatedApp = path.join(fixtureApps, 'gated.py');

describe('listen queue bound: --processes 1 --listen 2', () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    dir = tempDir();
    server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', gatedApp,
      '--processes', '1', '--listen', '2']);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Asks the master how many requests wait in its queue (SIGUSR1 logs it). */
  async function waitQueued(n: number): Promise<void> {
    await waitFor(async () => {
      const mark = server.output().length;
      server.proc.kill('SIGUSR1');
      await waitFor(() => /queued requests: \d+/.test(server.output().slice(mark)), 2_000, 'the stats lines');
      return server.output().slice(mark).includes(`queued requests: ${n}\n`);
    }, 10_000, `${n} queued requests`, 100);
  }

  it('answers 503 with Retry-After past the bound, and serves the queued requests afterwards', async () => {
    const gate = path.join(dir, 'open');
    const url = (id: string) => `${server.url}/?gate=${encodeURIComponent(gate)}&id=${id}`;
    const running = httpRequest(url('running'));
    await server.waitForOutput(/gated request running started/);
    // requests that arrive while the worker's request is younger than 20 ms are pipelined to it
    // instead of waiting in the master (docs/compat.md): let that moment pass
    await sleep(100);
    const queued = [httpRequest(url('q1')), httpRequest(url('q2'))];
    await waitQueued(2);

    const mark = server.output().length;
    const excess: HttpResult[] = [];
    for (const id of ['x1', 'x2', 'x3']) excess.push(await httpRequest(url(id)));
    for (const r of excess) {
      assert.equal(r.status, 503);
      assert.equal(r.headers['retry-after'], '1');
    }
    const backlogged = uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/?id=u1' }), '', { timeoutMs: 20_000 });

    // a line for the first rejection; the others are counted in a line at the end of their second
    const counted = () => [...server.output().slice(mark).matchAll(/(\d+) more requests answered 503 in the last second \(--listen 2\)/g)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    await waitFor(() => counted() === 2, 5_000, 'the summary lines to count 2 more rejections');
    const lines = server.output().slice(mark).split('\n').filter((l) => l.includes('listen queue full'));
    assert.match(lines[0]!, /listen queue full: 2 requests are waiting for a worker \(--listen 2\): answered 503; raise --listen/);
    assert.ok(lines.length <= 4, lines.join('\n'));

    fs.writeFileSync(gate, '');
    for (const r of [await running, ...(await Promise.all(queued))]) assert.equal(r.status, 200);
    assert.deepEqual((await Promise.all(queued)).map((r) => json<{ id: string }>(r.body).id), ['q1', 'q2']);
    const served = await backlogged;
    assert.equal(served.statusCode, 200, served.headText);
    assert.equal(json<{ id: string }>(served.body).id, 'u1');
    assert.equal((await httpRequest(`${server.url}/?id=after`)).status, 200);
  });
});
