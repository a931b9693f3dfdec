// Which concurrency mode the master picks from threads, gevent and async, and the line it logs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concurrencyMode } from '../src/master/mode.ts';

test('threads = 1 (the default) is the single-threaded worker', () => {
  assert.deepEqual(concurrencyMode({ threads: 1, gevent: 0, async: 0 }), {
    kind: 'threads', cores: 1,
    logLine: '*** Operational MODE: single-threaded, 1 request at a time per worker (threads = 1) ***',
  });
});

test('threads = N runs N threads', () => {
  const mode = concurrencyMode({ threads: 8, gevent: 0, async: 1 });
  assert.deepEqual([mode.kind, mode.cores], ['threads', 8]);
  assert.equal(mode.logLine, '*** Operational MODE: threaded, 8 threads per worker (threads = 8) ***');
});

test('async = N runs N threads and says why; it wins over threads', () => {
  const mode = concurrencyMode({ threads: 4, gevent: 0, async: 50 });
  assert.deepEqual([mode.kind, mode.cores], ['threads', 50]);
  assert.equal(mode.logLine, '*** Operational MODE: threaded, 50 threads per worker (async = 50: nuwsgi has no ' +
    'ugreen/suspend engine, so async cores run as threads; threads = 4 is ignored when async is set) ***');
});

test('gevent = N wins over threads and async, and names what it ignored', () => {
  assert.deepEqual(concurrencyMode({ threads: 100, gevent: 100, async: 100 }), {
    kind: 'gevent', cores: 100,
    logLine: '*** Operational MODE: gevent, 100 async cores per worker ' +
      '(gevent = 100; threads = 100 and async = 100 are ignored when gevent is set) ***',
  });
  assert.equal(concurrencyMode({ threads: 1, gevent: 1, async: 0 }).logLine,
    '*** Operational MODE: gevent, 1 async core per worker (gevent = 1) ***');
});
