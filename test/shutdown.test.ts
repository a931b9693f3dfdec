// Graceful shutdown: SIGTERM lets the request in flight finish, then the master exits 0
// and no worker survives. If the master is killed outright, the workers notice (EOF on fd 3) and exit.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, isAlive, stopServer, waitFor, within, workerPids } from './helpers/wire.ts';

const slowApp = path.join(fixtureApps, 'slow.py');

describe('shutdown (slow app, -p 2)', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await stopServer(server);
    server = undefined;
  });

  for (const signal of ['SIGTERM'] as const) {
    it(`${signal}: the request in flight completes, then exit 0 and no worker left`, async () => {
      server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', slowApp, '-p', '2']);
      const s = server;
      const workers = workerPids(s.output()).map((w) => w.pid);
      assert.equal(workers.length, 2, `two "spawned worker" lines expected in:\n${s.output()}`);
      const id = `inflight-${signal}`;
      const inFlight = httpRequest(`${s.url}/?sleep=2&id=${id}`, { timeoutMs: 20_000 });
      await s.waitForOutput(new RegExp(`slow request ${id} started`), 10_000);
      s.proc.kill(signal);
      const r = await inFlight;
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `slept 2 (${id})`);
      const exit = await within(s.exited, 15_000);
      assert.ok(exit, `the master did not exit within 15 s of ${signal}; output:\n${s.output()}`);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit after ${signal}; output:\n${s.output()}`);
      await waitFor(() => workers.every((p) => !isAlive(p)), 5_000,
        `workers ${workers.filter(isAlive).join(', ')} to be gone after the master exited`);
    });
  }

  it('SIGTERM to the whole process group (systemd stop, timeout): the request in flight still completes', async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', slowApp, '-p', '2'], { detached: true });
    const s = server;
    const inFlight = httpRequest(`${s.url}/?sleep=2&id=group`, { timeoutMs: 20_000 });
    await s.waitForOutput(/slow request group started/, 10_000);
    process.kill(-s.pid, 'SIGTERM');
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'slept 2 (group)');
    assert.deepEqual(await within(s.exited, 15_000), { code: 0, signal: null }, s.output());
  });

  it('SIGTERM with nothing in flight: exit 0 at once, no worker left', async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', slowApp, '-p', '2']);
    const s = server;
    const workers = workerPids(s.output()).map((w) => w.pid);
    const ok = await httpRequest(`${s.url}/?sleep=0&id=quick`);
    assert.equal(ok.status, 200);
    s.proc.kill('SIGTERM');
    const exit = await within(s.exited, 10_000);
    assert.deepEqual(exit, { code: 0, signal: null }, s.output());
    await waitFor(() => workers.every((p) => !isAlive(p)), 5_000, 'the workers to be gone');
  });

  it('SIGTERM after whoever read stderr went away (EPIPE): still exits 0', async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', slowApp]);
    const s = server;
    s.proc.stdout!.destroy();
    s.proc.stderr!.destroy();
    // the request log line and the shutdown lines now meet a closed pipe
    assert.equal((await httpRequest(`${s.url}/?sleep=0&id=epipe`, { timeoutMs: 10_000 })).status, 200);
    s.proc.kill('SIGTERM');
    assert.deepEqual(await within(s.exited, 10_000), { code: 0, signal: null });
  });

  it('SIGTERM while a slow client is still reading: it gets the whole response', async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'streaming.py')]);
    const s = server;
    const size = 16 * 1024 * 1024;
    const received = await new Promise<number>((resolve, reject) => {
      http.get(`${s.url}/download?bytes=${size}&cl=1`, (res) => {
        let got = 0;
        res.pause(); // read nothing until the shutdown has begun: the tail sits in the master
        res.on('data', (c: Buffer) => { got += c.length; });
        res.on('end', () => resolve(got));
        res.on('error', reject);
        s.proc.kill('SIGTERM');
        void s.waitForOutput(/SIGTERM received/).then(() => setTimeout(() => res.resume(), 500));
      }).on('error', reject);
    });
    assert.equal(received, size);
    assert.deepEqual(await within(s.exited, 15_000), { code: 0, signal: null });
  });

  it('kill -9 of the master: the workers exit by themselves within a few seconds', async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', slowApp, '-p', '2']);
    const s = server;
    const workers = workerPids(s.output()).map((w) => w.pid);
    assert.equal(workers.length, 2);
    assert.ok(workers.every(isAlive));
    await s.stop('SIGKILL');
    await waitFor(() => workers.every((p) => !isAlive(p)), 5_000,
      `orphaned workers ${workers.filter(isAlive).join(', ')} to exit after the master was killed`);
  });

  it('kill -9 of the master during a request: the busy worker exits too', async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', slowApp, '-p', '2']);
    const s = server;
    const workers = workerPids(s.output()).map((w) => w.pid);
    const inFlight = httpRequest(`${s.url}/?sleep=3&id=orphan`, { timeoutMs: 20_000 }).catch((err: Error) => err);
    await s.waitForOutput(/slow request orphan started/, 10_000);
    await s.stop('SIGKILL');
    const r = await inFlight;
    assert.ok(r instanceof Error, 'the client connection died with the master');
    // the busy worker notices when its sleep ends (at most 3 s) or at once through PR_SET_PDEATHSIG
    await waitFor(() => workers.every((p) => !isAlive(p)), 8_000,
      `orphaned workers ${workers.filter(isAlive).join(', ')} to exit after the master was killed`);
  });
});
