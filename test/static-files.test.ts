// Static files, end to end, through both listeners: one table of cases runs against the master's
// HTTP listener and against a uwsgi socket the worker accepts on, so that the two serve alike.
// Each case also checks whether the app saw the request: a served file never reaches a worker.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { BIG_SIZE, makeStaticSite, viaHttp, viaUwsgi, type StaticRequest, type StaticSite, type Via } from './helpers/static-site.ts';
import { TRAVERSALS } from './helpers/traversals.ts';
import { uwsgiTarget } from './helpers/uwsgi-client.ts';
import { header, json, sha256, stopServer, type RawResponse } from './helpers/wire.ts';

interface Case {
  name: string;
  request: StaticRequest;
  status: number;
  /** The body: a file of the site (`file:static/a.css`), or the bytes themselves. */
  body?: string;
  headers?: Record<string, string | undefined>;
  /** The app gets the request (the default: it does not). */
  reachesApp?: boolean;
}

function cases(site: StaticSite): Case[] {
  const css = site.read('static/a.css');
  return [
    { name: 'a file under static-map', request: { target: '/static/a.css' }, status: 200, body: 'file:static/a.css',
      headers: { 'Content-Type': 'text/css; charset=utf-8', 'Content-Length': String(css.length), ETag: site.etagOf('static/a.css'),
        'Accept-Ranges': 'bytes', 'Cache-Control': 'max-age=3600', 'X-Static-Test': 'yes' } },
    { name: 'a binary file', request: { target: '/static/img.png' }, status: 200, body: 'file:static/img.png',
      headers: { 'Content-Type': 'image/png', Expires: undefined } },
    { name: 'a file larger than the cache takes (streamed)', request: { target: '/static/big.bin' }, status: 200,
      body: 'file:static/big.bin', headers: { 'Content-Length': String(BIG_SIZE) } },
    { name: 'static-expires-uri', request: { target: '/static/app.js' }, status: 200, body: 'file:static/app.js',
      headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=60' } },
    { name: 'a directory: its static-index', request: { target: '/static/sub' }, status: 200, body: 'file:static/sub/index.html',
      headers: { 'Content-Type': 'text/html; charset=utf-8' } },
    { name: 'a UTF-8 name', request: { target: '/static/caf%C3%A9.txt' }, status: 200, body: 'file:static/café.txt' },
    { name: 'HEAD', request: { method: 'HEAD', target: '/static/a.css' }, status: 200, body: '',
      headers: { 'Content-Length': String(css.length) } },
    { name: 'Range', request: { target: '/static/a.css', headers: { Range: 'bytes=0-3' } }, status: 206, body: 'body',
      headers: { 'Content-Range': `bytes 0-3/${css.length}`, 'Content-Length': '4' } },
    { name: 'Range past the end', request: { target: '/static/a.css', headers: { Range: 'bytes=5000-' } }, status: 416,
      headers: { 'Content-Range': `bytes */${css.length}` } },
    { name: 'a Range into a streamed file', request: { target: '/static/big.bin', headers: { Range: 'bytes=2000000-2000009' } },
      status: 206, body: site.read('static/big.bin').subarray(2000000, 2000010).toString('latin1') },
    { name: 'If-None-Match', request: { target: '/static/a.css', headers: { 'If-None-Match': site.etagOf('static/a.css') } },
      status: 304, body: '', headers: { ETag: site.etagOf('static/a.css') } },
    { name: 'If-Modified-Since', request: { target: '/static/a.css', headers: { 'If-Modified-Since': new Date(Date.now() + 86_400_000).toUTCString() } },
      status: 304, body: '' },
    { name: 'If-Match that does not hold', request: { target: '/static/a.css', headers: { 'If-Match': '"nope"' } }, status: 412 },
    { name: 'a brotli sibling', request: { target: '/static/gz/style.css', headers: { 'Accept-Encoding': 'gzip, br' } }, status: 200,
      body: 'file:static/gz/style.css.br', headers: { 'Content-Encoding': 'br', Vary: 'Accept-Encoding', 'Content-Type': 'text/css; charset=utf-8' } },
    { name: 'a gzip sibling', request: { target: '/static/gz/style.css', headers: { 'Accept-Encoding': 'gzip, br;q=0' } }, status: 200,
      body: 'file:static/gz/style.css.gz', headers: { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } },
    { name: 'no sibling for a client that accepts none', request: { target: '/static/gz/style.css' }, status: 200,
      body: 'file:static/gz/style.css', headers: { 'Content-Encoding': undefined, Vary: 'Accept-Encoding' } },
    { name: 'a sibling that leads out of the root is not used', request: { target: '/static/gz/sly.css', headers: { 'Accept-Encoding': 'gzip' } },
      status: 200, body: 'file:static/gz/sly.css', headers: { 'Content-Encoding': undefined } },
    { name: 'static-map2', request: { target: '/static2/m2.txt' }, status: 200, body: 'file:srv2/static2/m2.txt' },
    { name: 'check-static', request: { target: '/robots.txt' }, status: 200, body: 'file:public/robots.txt' },
    { name: 'a file mount', request: { target: '/favicon.ico' }, status: 200, body: 'file:icons/fav.ico' },
    { name: 'the mime-file', request: { target: '/static/data.nuwsgitest' }, status: 200, headers: { 'Content-Type': 'application/x-nuwsgi-test' } },
    { name: 'an unknown extension', request: { target: '/static/data.zzz' }, status: 200, headers: { 'Content-Type': 'application/octet-stream' } },
    { name: 'a symlink into static-safe', request: { target: '/static/link-safe.txt' }, status: 200, body: 'file:safe/shared.txt' },
    { name: 'a symlink out of the root', request: { target: '/static/link-out.txt' }, status: 403 },
    { name: 'a dot file', request: { target: '/static/.env' }, status: 404 },
    { name: 'static-skip-ext', request: { target: '/static/skip.py' }, status: 404, body: 'app: /static/skip.py', reachesApp: true },
    { name: 'no such file', request: { target: '/static/nope.css' }, status: 404, body: 'app: /static/nope.css', reachesApp: true,
      headers: { 'X-Static-Test': 'yes' } },
    { name: 'another method', request: { method: 'DELETE', target: '/static/a.css' }, status: 404, reachesApp: true },
    { name: 'a path no mount serves', request: { target: '/api/items' }, status: 404, body: 'app: /api/items', reachesApp: true },
  ];
}

function expectedBody(site: StaticSite, body: string): Buffer {
  return body.startsWith('file:') ? site.read(body.slice(5)) : Buffer.from(body, 'latin1');
}

function check(site: StaticSite, c: Case, r: RawResponse): void {
  assert.equal(r.statusCode, c.status, `${c.name}: status; body ${JSON.stringify(r.body.subarray(0, 200).toString('latin1'))}`);
  if (c.body !== undefined) {
    const want = expectedBody(site, c.body);
    assert.equal(r.body.length, want.length, `${c.name}: body length`);
    assert.equal(sha256(r.body), sha256(want), `${c.name}: body bytes`);
  }
  for (const [name, value] of Object.entries(c.headers ?? {})) assert.equal(header(r, name), value, `${c.name}: ${name}`);
}

describe('static files through both listeners', () => {
  let site: StaticSite;
  let server: RunningServer;
  let vias: Via[];

  before(async () => {
    site = makeStaticSite();
    server = await startServer(['--http', '127.0.0.1:0', '--uwsgi-socket', path.join(site.dir, 'uwsgi.sock'),
      '--wsgi-file', path.join(fixtureApps, 'static_fallback.py'), '--processes', '1', '--static-cache-max-file', '1048576', ...site.args]);
    vias = [viaHttp(server.port), viaUwsgi(uwsgiTarget(server))];
  });
  after(() => stopServer(server));

  /** The PATH_INFOs the app saw since the last call (static_fallback.py keeps them). */
  async function seenByApp(via: Via): Promise<string[]> {
    return json<string[]>((await via.send({ target: '/__seen' })).body);
  }

  for (const listener of ['HTTP listener', 'uwsgi socket']) {
    describe(listener, () => {
      const via = () => vias.find((v) => v.name === listener)!;

      it('serves every case of the table, and only the app\'s cases reach the app', async () => {
        await seenByApp(via());
        for (const c of cases(site)) {
          check(site, c, await via().send(c.request));
          const seen = await seenByApp(via());
          assert.deepEqual(seen.length, c.reachesApp ? 1 : 0, `${c.name}: the app saw ${JSON.stringify(seen)}`);
        }
      });

      it('never sends a byte from outside the root, in any spelling of the path', async () => {
        const secret = site.read('secret.txt').toString();
        for (const t of TRAVERSALS) {
          const r = await via().send({ target: t.target });
          const allowed = t.status === 'app' ? [404] : t.target.includes('%00') ? [400, 403] : [t.status];
          assert.ok(allowed.includes(r.statusCode), `${t.spelling} (${t.target}): ${r.statusCode}, expected ${allowed.join(' or ')}`);
          assert.ok(!r.body.toString('latin1').includes(secret.trim()), `${t.spelling}: the secret leaked`);
        }
      });
    });
  }

  it('logs served files with the request line', () => {
    assert.match(server.output(), /GET \/static\/a\.css => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\)/);
  });
});
