// threads = N: each worker runs N requests at once, one per thread (python/nuwsgi_worker/threaded_pump.py).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';

describe('threads = 4 with one process', () => {
  let slow: RunningServer;
  before(async () => {
    slow = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', `${fixtureApps}/slow.py`, '--threads', '4']);
  });
  after(async () => { await slow.stop(); });

  it('logs the mode it chose', () => {
    assert.match(slow.output(), /\*\*\* Operational MODE: threaded, 4 threads per worker \(threads = 4\) \*\*\*/);
    assert.match(slow.output(), /spawned worker 1 \(pid: \d+, cores: 4\)/);
  });

  it('serves 4 slow requests at once', async () => {
    const started = Date.now();
    const bodies = await Promise.all([1, 2, 3, 4].map(async (id) => (await fetch(`${slow.url}/?sleep=1&id=${id}`)).text()));
    const elapsed = Date.now() - started;
    assert.deepEqual(bodies, [1, 2, 3, 4].map((id) => `slept 1 (${id})`));
    assert.ok(elapsed < 3000, `4 requests sleeping 1 s took ${elapsed} ms`);
  });
});

describe('threads = 4: request bodies', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', `${fixtureApps}/echo.py`, '--threads', '4']);
  });
  after(async () => { await server.stop(); });

  it('wsgi.multithread is True', async () => {
    const info = await (await fetch(server.url)).json() as { wsgi: Record<string, { value: unknown }> };
    assert.equal(info.wsgi['wsgi.multithread'].value, true);
  });

  it('request bodies arrive whole, several at once', async () => {
    const bodies = [1, 2, 3, 4, 5, 6].map((n) => Buffer.alloc(300_000 * n, String(n)));
    const replies = await Promise.all(bodies.map(async (body) =>
      (await fetch(server.url, { method: 'POST', body })).json() as Promise<{ body_len: number }>));
    assert.deepEqual(replies.map((r) => r.body_len), bodies.map((b) => b.length));
  });
});

describe('threads = 4: streamed responses', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', `${fixtureApps}/streaming.py`, '--threads', '4']);
  });
  after(async () => { await server.stop(); });

  it('several large downloads at once come out complete', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const lengths = await Promise.all([1, 2, 3, 4, 5].map(async () =>
      (await (await fetch(`${server.url}/download?bytes=${size}`)).arrayBuffer()).byteLength));
    assert.deepEqual(lengths, [size, size, size, size, size]);
  });

  it('chunks are streamed while other requests run', async () => {
    const started = Date.now();
    const texts = await Promise.all([1, 2, 3].map(async () => (await fetch(`${server.url}/chunks?n=5&size=3&sleep=200`)).text()));
    assert.deepEqual(texts, ['aaabbbcccdddeee', 'aaabbbcccdddeee', 'aaabbbcccdddeee']);
    assert.ok(Date.now() - started < 2500, `three 1 s streams took ${Date.now() - started} ms`);
  });
});
