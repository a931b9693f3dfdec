// The limits that end a worker's life and the per-request one, as pure decisions: a worker's
// max-requests (base, delta per worker id, jitter), why a worker is due for replacement
// (max-requests, max-worker-lifetime and its delta, reload-on-rss, never before
// min-worker-lifetime, never while not ready), and which requests run past a deadline.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { parseCommandLine, type Config } from '../src/config/index.ts';
import { overdueRequests, recycleReason, requestLimitFor } from '../src/master/limits.ts';
import type { Worker } from '../src/master/worker.ts';
import type { Exchange } from '../src/router/exchange.ts';

const MiB = 1024 * 1024;
const NOW = 1_700_000_000_000;

/** The configuration the command line `options` gives (with a listener and an app). */
function config(...options: string[]): Config {
  const command = parseCommandLine(['--http', ':8000', '--wsgi-file', 'app.py', ...options], {});
  assert.equal(command.kind, 'serve');
  return command.config;
}

/** The fields of a Worker the limits read. */
interface WorkerFields {
  slot: number;
  pid: number;
  state: Worker['state'];
  spawnedAt: number;
  readyAt: number;
  requestsServed: number;
  requestLimit: number;
  inflight: Map<number, Exchange>;
}

/** A ready worker 1, spawned an hour before NOW and ready a second later, that served nothing. */
function worker(fields: Partial<WorkerFields> = {}): Worker {
  const w: WorkerFields = {
    slot: 1, pid: 4321, state: 'ready', spawnedAt: NOW - 3_600_000, readyAt: NOW - 3_599_000,
    requestsServed: 0, requestLimit: 0, inflight: new Map(), ...fields,
  };
  return w as unknown as Worker;
}

/** An rss function that must not be called. */
function noRss(): number {
  throw new Error('the rss was read without reload-on-rss');
}

describe('requestLimitFor', () => {
  it('is 0 (never) without max-requests', () => {
    assert.equal(requestLimitFor(3, config('--max-requests-delta', '10', '--max-requests-jitter', '5')), 0);
  });

  it('is the base plus the worker id times the delta', () => {
    const c = config('--max-requests', '1000', '--max-requests-delta', '50');
    assert.deepEqual([1, 2, 3].map((slot) => requestLimitFor(slot, c)), [1050, 1100, 1150]);
  });

  it('adds a jitter from 0 to max-requests-jitter inclusive', (t: TestContext) => {
    const c = config('--max-requests', '1000', '--max-requests-delta', '50', '--max-requests-jitter', '20');
    const random = t.mock.method(Math, 'random', () => 0);
    assert.equal(requestLimitFor(2, c), 1100);
    random.mock.mockImplementation(() => 0.999999);
    assert.equal(requestLimitFor(2, c), 1120);
    random.mock.mockImplementation(() => 0.5);
    assert.equal(requestLimitFor(2, c), 1110);
  });

  it('stays within its bounds with real randomness', () => {
    const c = config('--max-requests', '100', '--max-requests-jitter', '3');
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(requestLimitFor(1, c));
    for (const limit of seen) assert.ok(limit >= 100 && limit <= 103, `limit ${limit}`);
  });
});

describe('recycleReason', () => {
  describe('max-requests', () => {
    const c = config('--max-requests', '100', '--min-worker-lifetime', '0');

    it('replaces a worker that served its limit', () => {
      assert.equal(recycleReason(worker({ requestLimit: 100, requestsServed: 100 }), c, NOW, noRss), 'max requests reached (100 >= 100)');
      assert.equal(recycleReason(worker({ requestLimit: 100, requestsServed: 103 }), c, NOW, noRss), 'max requests reached (103 >= 100)');
    });

    it('keeps a worker below its limit', () => {
      assert.equal(recycleReason(worker({ requestLimit: 100, requestsServed: 99 }), c, NOW, noRss), undefined);
    });

    it('goes by the worker\'s own limit, 0 being never', () => {
      assert.equal(recycleReason(worker({ requestLimit: 0, requestsServed: 1_000_000 }), c, NOW, noRss), undefined);
    });
  });

  describe('max-worker-lifetime', () => {
    const c = config('--max-worker-lifetime', '3600', '--max-worker-lifetime-delta', '30', '--min-worker-lifetime', '0');

    it('replaces a worker that lived its lifetime plus its id times the delta', () => {
      const spawnedAt = NOW - 3660 * 1000;
      assert.equal(recycleReason(worker({ slot: 2, spawnedAt, readyAt: spawnedAt }), c, NOW, noRss), 'lifetime reached (3660 s >= 3660 s)');
    });

    it('keeps a worker short of it, to the second', () => {
      const spawnedAt = NOW - 3659_999;
      assert.equal(recycleReason(worker({ slot: 2, spawnedAt, readyAt: spawnedAt }), c, NOW, noRss), undefined);
      assert.equal(recycleReason(worker({ slot: 1, spawnedAt, readyAt: spawnedAt }), c, NOW, noRss), 'lifetime reached (3659 s >= 3630 s)');
    });

    it('counts from the spawn, not from readiness', () => {
      const c2 = config('--max-worker-lifetime', '60', '--min-worker-lifetime', '0');
      assert.equal(recycleReason(worker({ spawnedAt: NOW - 61_000, readyAt: NOW - 1000 }), c2, NOW, noRss), 'lifetime reached (61 s >= 60 s)');
    });

    it('is never without max-worker-lifetime', () => {
      const c2 = config('--min-worker-lifetime', '0');
      assert.equal(recycleReason(worker({ spawnedAt: 0, readyAt: 0 }), c2, NOW, noRss), undefined);
    });
  });

  describe('reload-on-rss', () => {
    const c = config('--reload-on-rss', '512', '--min-worker-lifetime', '0');

    it('replaces a worker whose resident memory exceeds the limit, as measured for its pid', () => {
      const asked: number[] = [];
      const rss = (pid: number) => {
        asked.push(pid);
        return 512.5 * MiB;
      };
      assert.equal(recycleReason(worker({ pid: 777 }), c, NOW, rss), 'rss reached (512.5 MiB > 512 MiB)');
      assert.deepEqual(asked, [777]);
    });

    it('keeps a worker at or under the limit', () => {
      assert.equal(recycleReason(worker(), c, NOW, () => 512 * MiB), undefined);
    });

    it('keeps a worker whose memory cannot be read', () => {
      assert.equal(recycleReason(worker(), c, NOW, () => undefined), undefined);
    });

    it('does not read the memory without reload-on-rss', () => {
      assert.equal(recycleReason(worker(), config('--min-worker-lifetime', '0'), NOW, noRss), undefined);
    });
  });

  describe('min-worker-lifetime', () => {
    const c = config('--min-worker-lifetime', '60', '--max-requests', '10', '--max-worker-lifetime', '30', '--reload-on-rss', '1');
    const due = { requestLimit: 10, requestsServed: 50, spawnedAt: NOW - 59_999 };

    it('holds back every limit while the worker has been ready for less than it', () => {
      assert.equal(recycleReason(worker({ ...due, readyAt: NOW - 59_999 }), c, NOW, noRss), undefined);
    });

    it('lets them act once it has passed, counted from readiness', () => {
      assert.equal(recycleReason(worker({ ...due, spawnedAt: NOW - 120_000, readyAt: NOW - 60_000 }), c, NOW, noRss), 'max requests reached (50 >= 10)');
    });
  });

  it('never replaces a worker that is not ready', () => {
    const c = config('--max-requests', '10', '--min-worker-lifetime', '0', '--max-worker-lifetime', '1', '--reload-on-rss', '1');
    for (const state of ['starting', 'stopping', 'dead'] as const) {
      assert.equal(recycleReason(worker({ state, requestLimit: 10, requestsServed: 99, spawnedAt: 0 }), c, NOW, noRss), undefined, state);
    }
  });

  it('gives the first reason that applies: requests, then lifetime, then memory', () => {
    const c = config('--max-requests', '10', '--min-worker-lifetime', '0', '--max-worker-lifetime', '1', '--reload-on-rss', '1');
    const old = { spawnedAt: NOW - 10_000, readyAt: NOW - 10_000 };
    assert.equal(recycleReason(worker({ ...old, requestLimit: 10, requestsServed: 10 }), c, NOW, noRss), 'max requests reached (10 >= 10)');
    assert.equal(recycleReason(worker({ ...old, requestLimit: 10 }), c, NOW, noRss), 'lifetime reached (10 s >= 1 s)');
  });
});

describe('overdueRequests', () => {
  /** A request dispatched at `dispatchedMs`. */
  function dispatchedAt(dispatchedMs: number): Exchange {
    return { dispatchedMs } as Exchange;
  }

  it('gives the requests that have run for the given seconds or longer, with their ids, oldest first', () => {
    const inflight = new Map<number, Exchange>([
      [7, dispatchedAt(NOW - 45_000)],
      [8, dispatchedAt(NOW - 30_000)],
      [9, dispatchedAt(NOW - 29_999)],
      [10, dispatchedAt(NOW)],
    ]);
    const overdue = overdueRequests(worker({ inflight }), 30, NOW);
    assert.deepEqual(overdue.map(([id, exchange]) => [id, exchange.dispatchedMs]), [[7, NOW - 45_000], [8, NOW - 30_000]]);
    assert.equal(overdue[0]![1], inflight.get(7), 'the exchanges themselves');
  });

  it('gives none for a worker with nothing in flight', () => {
    assert.deepEqual(overdueRequests(worker(), 1, NOW), []);
  });
});
