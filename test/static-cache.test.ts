// The master's static-file cache: its bounds (in-process), and that a file changed on disk is
// served as it is now once the revalidation interval has passed (end to end).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileCache, type Entry } from '../src/router/static/cache.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer, tempDir, waitFor } from './helpers/wire.ts';

function fileEntry(path: string, size: number, checkedMs = 0): Entry {
  const stat = { ino: 1, size, mtimeMs: 0, ctimeMs: 0 } as fs.Stats;
  return {
    kind: 'file', file: { path, stat, etag: 'W/"0-0"', lastModified: '', data: Buffer.alloc(size), plainHead: null }, contentType: 'text/plain',
    compressible: false, br: null, gzip: null, checkedMs,
  };
}

describe('the static-file cache', () => {
  it('trusts an entry for the revalidation interval only', () => {
    const cache = new FileCache({ revalidateMs: 1000, maxBytes: 1000, maxFileBytes: 100 });
    cache.set('/a', fileEntry('/srv/a', 10, 5000));
    assert.notEqual(cache.fresh('/a', 5999), undefined);
    assert.equal(cache.fresh('/a', 6000), undefined);
    assert.notEqual(cache.previous('/a'), undefined, 'a stale entry is kept to reuse its data');
  });

  it('keeps files up to the largest size, and no more bytes than its bound, dropping the oldest', () => {
    const cache = new FileCache({ revalidateMs: 1000, maxBytes: 250, maxFileBytes: 100 });
    assert.equal(cache.keeps(100), true);
    assert.equal(cache.keeps(101), false);
    cache.set('/a', fileEntry('/srv/a', 100));
    cache.set('/b', fileEntry('/srv/b', 100));
    cache.set('/a', fileEntry('/srv/a', 100)); // checked again: now the most recent
    cache.set('/c', fileEntry('/srv/c', 100));
    assert.equal(cache.heldBytes, 200);
    assert.equal(cache.previous('/b'), undefined, 'the oldest went');
    assert.notEqual(cache.previous('/a'), undefined);
    assert.notEqual(cache.previous('/c'), undefined);
  });
});

describe('a static file changed on disk', () => {
  let dir: string;
  const servers: RunningServer[] = [];
  before(() => {
    dir = tempDir('nuwsgi-static-cache-');
    fs.mkdirSync(path.join(dir, 'static'));
  });
  after(async () => {
    for (const server of servers) await stopServer(server);
  });

  async function serve(interval: string): Promise<RunningServer> {
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'static_fallback.py'),
      '--static-map', `/static=${dir}/static`, '--static-cache-paths', interval]);
    servers.push(server);
    return server;
  }

  const get = async (server: RunningServer, file: string) => (await httpRequest(`${server.url}/static/${file}`)).body.toString();

  it('is served as it is now on the next request with static-cache-paths 0', async () => {
    const server = await serve('0');
    const file = path.join(dir, 'static', 'now.txt');
    fs.writeFileSync(file, 'one');
    assert.equal(await get(server, 'now.txt'), 'one');
    fs.writeFileSync(file, 'two, longer');
    assert.equal(await get(server, 'now.txt'), 'two, longer');
    fs.rmSync(file);
    assert.equal(await get(server, 'now.txt'), 'app: /static/now.txt', 'a file removed goes to the app');
  });

  it('is served as it is now once the interval has passed (static-cache-paths 1)', async () => {
    const server = await serve('1');
    const file = path.join(dir, 'static', 'later.txt');
    fs.writeFileSync(file, 'before');
    assert.equal(await get(server, 'later.txt'), 'before');
    fs.writeFileSync(file, 'after!');
    await waitFor(async () => (await get(server, 'later.txt')) === 'after!', 10_000, 'the new content');
  });
});
