// 64 MiB through the server in each direction, with flow control: the bytes arrive intact and neither
// the master nor the worker holds the transfer in memory (their RSS grows by less than 64 MiB).
// To make a missing flow control visible, the slow side stalls for a second while the fast side
// pushes: the app sleeps before reading the upload, and the client pauses during the download.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import {
  downloadBlocks, downloadSha256, httpRequest, json, rssBytes, rssSampler, stopServer, workerPids,
} from './helpers/wire.ts';

const TOTAL = 64 * 1024 * 1024;
const MiB = 1024 * 1024;

function singleWorkerPid(server: RunningServer): number {
  const workers = workerPids(server.output());
  assert.equal(workers.length, 1, `one "spawned worker 1 (pid: N, cores: 1)" line expected in:\n${server.output()}`);
  return workers[0]!.pid;
}

function assertGrowth(peaks: Map<number, number>, baseline: Map<number, number>, names: Map<number, string>) {
  for (const [pid, base] of baseline) {
    const peak = peaks.get(pid) ?? base;
    const growth = peak - base;
    if (process.env.NUWSGI_TEST_VERBOSE) console.log(`${names.get(pid)}: RSS ${(base / MiB).toFixed(1)} -> ${(peak / MiB).toFixed(1)} MiB`);
    assert.ok(growth < TOTAL,
      `${names.get(pid)} (pid ${pid}) RSS grew by ${(growth / MiB).toFixed(1)} MiB ` +
      `(from ${(base / MiB).toFixed(1)} to ${(peak / MiB).toFixed(1)} MiB) during a 64 MiB transfer`);
  }
}

function baselines(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const rss = rssBytes(pid);
    assert.ok(rss !== undefined, `no /proc/${pid}/status`);
    out.set(pid, rss);
  }
  return out;
}

describe('64 MiB upload (upload app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'upload.py')]);
  });
  after(() => stopServer(server));

  it('reaches the app intact, with bounded memory in the master and the worker', async () => {
    const worker = singleWorkerPid(server);
    // warm up both sides with a small upload first
    const warm = await httpRequest(`${server.url}/?mode=read`, { method: 'POST', body: Buffer.alloc(MiB, 'w') });
    assert.equal(warm.status, 200);
    const names = new Map([[server.pid, 'the master'], [worker, 'the worker']]);
    const base = baselines([server.pid, worker]);
    const sampler = rssSampler([server.pid, worker]);
    let peaks: Map<number, number>;
    let r;
    try {
      r = await httpRequest(`${server.url}/?mode=read&size=65536&delay=1000`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': TOTAL },
        body: downloadBlocks(TOTAL),
        timeoutMs: 25_000,
      });
    } finally {
      peaks = sampler.stop();
    }
    assert.equal(r.status, 200, r.body.toString());
    const res = json<{ bytes: number; sha256: string; over: number }>(r.body);
    assert.equal(res.bytes, TOTAL);
    assert.equal(res.sha256, downloadSha256(TOTAL));
    assert.equal(res.over, 0);
    assertGrowth(peaks, base, names);
  });
});

describe('64 MiB download (streaming app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'streaming.py')]);
  });
  after(() => stopServer(server));

  it('reaches the client intact, with bounded memory in the master and the worker', async () => {
    const worker = singleWorkerPid(server);
    const warm = await httpRequest(`${server.url}/download?bytes=${MiB}`);
    assert.equal(warm.body.length, MiB);
    const names = new Map([[server.pid, 'the master'], [worker, 'the worker']]);
    const base = baselines([server.pid, worker]);
    const sampler = rssSampler([server.pid, worker]);
    const hash = createHash('sha256');
    let received = 0;
    let paused = false;
    let peaks: Map<number, number>;
    let r;
    try {
      r = await httpRequest(`${server.url}/download?bytes=${TOTAL}`, {
        timeoutMs: 25_000,
        onData: (chunk, res) => {
          hash.update(chunk);
          received += chunk.length;
          if (!paused && received >= MiB) {
            // a slow client: stop reading for a second while the app could keep producing
            paused = true;
            res.pause();
            setTimeout(() => res.resume(), 1000);
          }
        },
      });
    } finally {
      peaks = sampler.stop();
    }
    assert.equal(r.status, 200);
    assert.equal(received, TOTAL);
    assert.equal(hash.digest('hex'), downloadSha256(TOTAL));
    assertGrowth(peaks, base, names);
  });
});
