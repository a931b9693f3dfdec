// Differential test: the same fixture apps behind the same nginx, once on Debian's uWSGI 2.0 and
// once on nuwsgi (both on unix sockets, both with --buffer-size 32768). Every request of the list
// below goes to both, and the answers must match: status, reason, headers (but Date and Server,
// which nginx writes itself) and body; for echo.py, the environ the app saw.
//
// The differences found, and how this file treats them:
//
//   1. nginx passes the request's Content-Type and Content-Length twice: as CONTENT_TYPE and
//      CONTENT_LENGTH (uwsgi_params) and as HTTP_CONTENT_TYPE and HTTP_CONTENT_LENGTH (every
//      header is passed as HTTP_*). uWSGI hands both to the app; wsgiref.validate, which wraps the
//      fixture apps, refuses the HTTP_ twins, so under uWSGI every request with a body ends in an
//      AssertionError and nginx answers 502. nuwsgi drops the twins (docs/compat.md, "In the WSGI
//      environ").
//   2. nginx sends no SCRIPT_NAME. uWSGI 2.0 then leaves SCRIPT_NAME out of the environ, which
//      wsgiref.validate does not survive (KeyError: every request fails, 502). nuwsgi sets ''.
//      For 1 and 2, the comparison sites give both servers VALIDATOR_FRIENDLY_PARAMS
//      (test/helpers/uwsgi-oracle.ts: SCRIPT_NAME '' and the twins hidden), so that the oracle can
//      run the apps at all; the 'plain uwsgi_params' test below shows both differences on sites
//      with Debian's uwsgi_params alone.
//   3. nginx 1.22 sends a repeated request header as repeated vars (X-Dup: a, X-Dup: b gives two
//      HTTP_X_DUP). Both servers keep the last one (docs/compat.md, "The uwsgi protocol"), so the
//      app sees 'b', and of two Cookie headers only the last cookie. Compared like any other key.
//   4. environ: uWSGI adds uwsgi.version and uwsgi.node (bytes); nuwsgi adds
//      wsgi.input_terminated = True (docs/compat.md); the types of wsgi.input, wsgi.errors and
//      wsgi.file_wrapper are each server's own. REMOTE_PORT differs (two client connections),
//      SERVER_PORT is each server block's own port, and echo.py's `pid` and `reads` (how many
//      read() calls returned data) depend on the server. These are not compared.
//   5. A request body the app does not read: uWSGI closes the socket with the body unread, the
//      kernel resets the connection, and nginx answers 502 or the app's 200 depending on timing
//      (seen with 200 KB). That is not comparable, so it is tested against nuwsgi alone, which
//      must answer every time (test/nginx-uwsgi-pass.test.ts).
//   6. X-Forwarded-Proto: https makes uWSGI's wsgi.url_scheme 'https', whoever sent it; nuwsgi
//      believes it only from a --trusted-proxy (docs/compat.md, "Deliberate differences"), and there
//      is none here, so its scheme stays 'http'. Both apps see HTTP_X_FORWARDED_PROTO.
//   7. wsgi.input.readline(size): uWSGI returns whole lines longer than `size` (upload.py counts
//      them as `over`: 129 of 2000 lines, up to 107 bytes for readline(100)); nuwsgi never returns
//      more than `size` bytes, as io's readline(size) does, and so needs more calls. Not in
//      docs/compat.md; here the bytes, their hash and the line count must match, and nuwsgi must
//      have no `over`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  freePort, needNginx, startNginx, startNuwsgiSocket, uwsgiPassTarget, uwsgiSite, type RunningNginx,
} from './helpers/nginx.ts';
import { fixtureApps, type RunningServer } from './helpers/server.ts';
import { VALIDATOR_FRIENDLY_PARAMS, needUwsgi, startUwsgiOracle, type RunningUwsgi } from './helpers/uwsgi-oracle.ts';
import { httpRequest, json, sha256, stopServer, tempDir, type Echo } from './helpers/wire.ts';

const MiB = 1024 * 1024;

const apps = {
  echo: 'echo.py',
  responses: 'responses.py',
  streaming: 'streaming.py',
  upload: 'upload.py',
} as const;
type AppName = keyof typeof apps;
const appNames = Object.keys(apps) as AppName[];

const sides = ['uwsgi', 'nuwsgi'] as const;
type Side = (typeof sides)[number];

/** Site kinds: `compare` adds VALIDATOR_FRIENDLY_PARAMS for both servers (differences 1 and 2), `plain` is Debian's uwsgi_params alone. */
type SiteKind = 'compare' | 'plain';

interface Case {
  name: string;
  app: AppName;
  method?: string;
  target: string;
  headers?: Record<string, string | string[]>;
  /** A Buffer or string is sent with a Content-Length; an array of Buffers piece by piece (Transfer-Encoding: chunked). */
  body?: string | Buffer | Buffer[];
}

const form = 'name=nuwsgi&text=h%C3%A9llo+w%C3%B6rld%21&empty=';
const large = Buffer.alloc(100 * MiB);
const lines = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}\n`).join(''));

const cases: Case[] = [
  // echo.py: the environ
  { name: 'GET with a query string and custom headers', app: 'echo', target: '/env/some%20path?x=1&y=%20z&x=2',
    headers: { 'User-Agent': 'differential/1.0', 'X-Custom-Header': 'value', 'Accept': 'application/json' } },
  { name: 'GET /', app: 'echo', target: '/' },
  { name: 'GET with a Host header with a port', app: 'echo', target: '/host', headers: { Host: 'example.test:8080' } },
  { name: 'GET with UTF-8 and an encoded slash in the path', app: 'echo', target: '/caf%C3%A9/a%2Fb/%E2%82%AC?q=%E2%82%AC&r=caf%C3%A9' },
  { name: 'GET with dot segments and double slashes (nginx normalises PATH_INFO)', app: 'echo', target: '/a/../b/./c//d' },
  { name: 'GET with an empty query string', app: 'echo', target: '/empty?' },
  { name: 'GET with a 6000-byte query string', app: 'echo', target: `/long?q=${'z'.repeat(6000)}` },
  { name: 'GET with 16 KiB of headers', app: 'echo', target: '/large-head',
    headers: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`X-Large-${i}`, String.fromCharCode(97 + i).repeat(1000)])) },
  { name: 'GET with a header nginx drops (underscore in its name)', app: 'echo', target: '/underscore', headers: { 'X_Under': 'u', 'X-Dash': 'd' } },
  { name: 'GET with a repeated header and two Cookie headers', app: 'echo', target: '/dup',
    headers: { 'X-Dup': ['a', 'b'], 'Cookie': ['a=1', 'b=2'] } },
  { name: 'GET with Authorization, X-Forwarded-For and X-Forwarded-Proto', app: 'echo', target: '/fwd',
    headers: { 'Authorization': 'Basic dXNlcjpwYXNz', 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' } },
  { name: 'HEAD', app: 'echo', method: 'HEAD', target: '/head?x=1' },
  { name: 'POST a form', app: 'echo', method: 'POST', target: '/form', body: form,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
  { name: 'POST JSON', app: 'echo', method: 'POST', target: '/json', body: JSON.stringify({ a: [1, 2], b: 'ü' }),
    headers: { 'Content-Type': 'application/json; charset=utf-8' } },
  { name: 'POST with an empty body', app: 'echo', method: 'POST', target: '/empty-body', body: '' },
  { name: 'POST a chunked body (nginx de-chunks it)', app: 'echo', method: 'POST', target: '/chunked',
    body: Array.from({ length: 10 }, (_, i) => Buffer.alloc(10_000 + i, 65 + i)), headers: { 'Content-Type': 'text/plain' } },
  { name: 'PUT', app: 'echo', method: 'PUT', target: '/put', body: 'put body', headers: { 'Content-Type': 'text/plain' } },
  { name: 'PATCH', app: 'echo', method: 'PATCH', target: '/patch', body: '{"op":"x"}', headers: { 'Content-Type': 'application/json' } },
  { name: 'DELETE', app: 'echo', method: 'DELETE', target: '/thing/1' },
  { name: 'OPTIONS', app: 'echo', method: 'OPTIONS', target: '/opts' },
  { name: 'response headers chosen by the app', app: 'echo', target: '/h?header=X-One:1&header=X-Two:two%20words&header=Cache-Control:no-store' },
  { name: 'a text written to wsgi.errors does not change the response', app: 'echo', target: '/stderr?stderr=logged+line' },

  // responses.py: every shape of response iterable, and bodiless statuses
  ...['/list', '/gen', '/empty_list', '/empty_gen', '/only_empty', '/iterable', '/large_single', '/latin1', '/status', '/missing']
    .map((target): Case => ({ name: `GET ${target}`, app: 'responses', target })),
  { name: '204 No Content', app: 'responses', target: '/no_content' },
  { name: '304 Not Modified', app: 'responses', target: '/not_modified' },
  { name: 'HEAD /list', app: 'responses', method: 'HEAD', target: '/list' },
  { name: 'HEAD /no_content', app: 'responses', method: 'HEAD', target: '/no_content' },

  // streaming.py
  { name: 'streamed chunks without a Content-Length', app: 'streaming', target: '/chunks?n=5&size=7' },
  { name: 'streamed chunks with a Content-Length', app: 'streaming', target: '/chunks?n=3&size=4&cl=1' },
  { name: 'a 3 MiB streamed download', app: 'streaming', target: `/download?bytes=${3 * MiB + 5}` },
  { name: 'a streamed download with a Content-Length', app: 'streaming', target: '/download?bytes=100000&cl=1' },

  // upload.py: request bodies read every way
  { name: 'a 100 MiB upload', app: 'upload', method: 'POST', target: '/?mode=read', body: large,
    headers: { 'Content-Type': 'application/octet-stream' } },
  ...['readline', 'readlines', 'iter', 'read_minus1'].map((mode): Case => ({
    name: `an upload read with ${mode}`, app: 'upload', method: 'POST', target: `/?mode=${mode}`, body: lines,
    headers: { 'Content-Type': 'text/plain' },
  })),
  { name: 'an upload read with readline(100)', app: 'upload', method: 'POST', target: '/?mode=readline&size=100', body: lines },
  { name: 'a chunked upload', app: 'upload', method: 'POST', target: '/?mode=read&size=1000',
    body: Array.from({ length: 8 }, () => randomBytes(33_333)) },
];

interface Answer {
  status: number;
  reason: string;
  /** Header lines as received, names lowercased, minus Date and Server. */
  headers: Array<[string, string]>;
  body: Buffer;
}

async function fetchAnswer(port: number, c: Case): Promise<Answer> {
  const r = await httpRequest(`http://127.0.0.1:${port}${c.target}`, {
    method: c.method ?? 'GET', headers: c.headers, body: c.body, timeoutMs: 40_000,
  });
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) {
    const name = r.rawHeaders[i]!.toLowerCase();
    if (name !== 'date' && name !== 'server') headers.push([name, r.rawHeaders[i + 1]!]);
  }
  return { status: r.status, reason: r.statusMessage, headers, body: r.body };
}

/** The environ keys and values that differ between the two echo.py answers, after the known differences. */
function environDifferences(ports: Record<Side, number>, u: Echo, n: Echo): string[] {
  const out: string[] = [];
  for (const key of ['method', 'path', 'query', 'body', 'body_len', 'body_sha256'] as const) {
    if (u[key] !== n[key]) out.push(`${key}: uWSGI ${JSON.stringify(u[key])}, nuwsgi ${JSON.stringify(n[key])}`);
  }
  for (const [side, echo] of [['uwsgi', u], ['nuwsgi', n]] as const) {
    if (echo.cgi.SERVER_PORT !== String(ports[side])) out.push(`${side}: SERVER_PORT ${echo.cgi.SERVER_PORT}, not ${ports[side]}`);
  }
  const keys = new Set([...Object.keys(u.cgi), ...Object.keys(n.cgi)]);
  for (const key of [...keys].sort()) {
    if (key === 'REMOTE_PORT' || key === 'SERVER_PORT') continue;
    const a = u.cgi[key];
    const b = n.cgi[key];
    if (a === b) continue;
    out.push(`environ ${key}: uWSGI ${JSON.stringify(a)}, nuwsgi ${JSON.stringify(b)}`);
  }
  // Difference 4: compare the wsgi.* values that are plain values; uwsgi.* and the object types are each server's own.
  for (const key of ['wsgi.version', 'wsgi.url_scheme', 'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once']) {
    const a = JSON.stringify(u.wsgi[key]);
    const b = JSON.stringify(n.wsgi[key]);
    if (a === b) continue;
    // Difference 6: X-Forwarded-Proto from a proxy nuwsgi was not told to trust.
    const forwardedProto = u.cgi.HTTP_X_FORWARDED_PROTO;
    if (key === 'wsgi.url_scheme' && forwardedProto !== undefined && n.cgi.HTTP_X_FORWARDED_PROTO === forwardedProto &&
      a === JSON.stringify({ type: 'str', value: forwardedProto }) && b === JSON.stringify({ type: 'str', value: 'http' })) continue;
    out.push(`environ ${key}: uWSGI ${a}, nuwsgi ${b}`);
  }
  for (const key of Object.keys(u.wsgi)) {
    if (key.startsWith('wsgi.') && !(key in n.wsgi)) out.push(`environ ${key}: only uWSGI has it`);
  }
  return out;
}

/** What upload.py answers. */
interface UploadReport {
  bytes: number;
  reads: number;
  max_piece: number;
  lines: number;
  over: number;
  sha256: string;
  after_eof: number;
  content_length: string | null;
  mode: string;
  pid: number;
}

function uploadReportDifferences(u: UploadReport, n: UploadReport): string[] {
  const out: string[] = [];
  // Difference 7: uWSGI's readline(size) returns more than size bytes; nuwsgi never does.
  const sizeIgnored = u.mode === 'readline' && u.over > 0 && n.over === 0;
  const keys: Array<keyof UploadReport> = sizeIgnored
    ? ['bytes', 'lines', 'sha256', 'after_eof', 'content_length', 'mode']
    : ['bytes', 'reads', 'max_piece', 'lines', 'over', 'sha256', 'after_eof', 'content_length', 'mode'];
  for (const key of keys) {
    if (u[key] !== n[key]) out.push(`upload.py ${key}: uWSGI ${JSON.stringify(u[key])}, nuwsgi ${JSON.stringify(n[key])}`);
  }
  return out;
}

/** Everything that differs between the two answers to `c`, as readable lines. */
function differences(c: Case, ports: Record<Side, number>, u: Answer, n: Answer): string[] {
  const out: string[] = [];
  if (u.status !== n.status) out.push(`status: uWSGI ${u.status}, nuwsgi ${n.status}`);
  if (u.reason !== n.reason) out.push(`reason: uWSGI ${JSON.stringify(u.reason)}, nuwsgi ${JSON.stringify(n.reason)}`);
  const isEcho = c.app === 'echo' && u.status === 200 && n.status === 200 && c.method !== 'HEAD';
  // echo.py's and upload.py's JSON hold pids (and ports), so its length differs; its content is compared below.
  const jsonReport = c.app === 'echo' || c.app === 'upload';
  const comparable = (h: Array<[string, string]>) =>
    h.filter(([name]) => !(name === 'content-length' && jsonReport)).map(([k, v]) => `${k}: ${v}`);
  const uh = comparable(u.headers);
  const nh = comparable(n.headers);
  for (const line of uh.filter((l) => !nh.includes(l))) out.push(`header only from uWSGI: ${line}`);
  for (const line of nh.filter((l) => !uh.includes(l))) out.push(`header only from nuwsgi: ${line}`);
  if (uh.join('\n') !== nh.join('\n') && out.length === 0) out.push(`header order: uWSGI ${JSON.stringify(uh)}, nuwsgi ${JSON.stringify(nh)}`);
  if (isEcho) {
    out.push(...environDifferences(ports, json<Echo>(u.body), json<Echo>(n.body)));
  } else if (!u.body.equals(n.body)) {
    const show = (b: Buffer) => b.length > 200 ? `${b.length} bytes, sha256 ${sha256(b).slice(0, 16)}` : JSON.stringify(b.toString('latin1'));
    const uploadBody = c.app === 'upload' && u.status === 200 && n.status === 200;
    if (uploadBody) {
      out.push(...uploadReportDifferences(json<UploadReport>(u.body), json<UploadReport>(n.body)));
    } else {
      out.push(`body: uWSGI ${show(u.body)}, nuwsgi ${show(n.body)}`);
    }
  }
  return out;
}

interface Setup {
  dir: string;
  nginx: RunningNginx;
  oracles: Record<AppName, RunningUwsgi>;
  servers: Record<AppName, RunningServer>;
  /** The nginx port of each (site kind, app, side). */
  port(kind: SiteKind, app: AppName, side: Side): number;
}

async function setUp(t: TestContext, nginxPath: string, uwsgiPath: string): Promise<Setup> {
  const dir = tempDir('nuwsgi-nginx-diff-');
  const oracles: Partial<Record<AppName, RunningUwsgi>> = {};
  const servers: Partial<Record<AppName, RunningServer>> = {};
  let nginx: RunningNginx | undefined;
  t.after(async () => {
    await nginx?.stop();
    await Promise.all([
      ...Object.values(oracles).map((o) => o.stop()),
      ...Object.values(servers).map((s) => stopServer(s)),
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const socket = (side: Side, app: AppName) => path.join(dir, `${side}-${app}.sock`);
  await Promise.all(appNames.flatMap((app) => [
    startUwsgiOracle(uwsgiPath, {
      socket: socket('uwsgi', app), wsgiFile: path.join(fixtureApps, apps[app]), args: ['--buffer-size', '32768'],
    }).then((o) => { oracles[app] = o; }),
    startNuwsgiSocket(socket('nuwsgi', app), [
      '--wsgi-file', path.join(fixtureApps, apps[app]), '--master', '--processes', '1', '--buffer-size', '32768',
    ]).then((s) => { servers[app] = s; }),
  ]));

  const ports = new Map<string, number>();
  const sites: string[] = [];
  for (const kind of ['compare', 'plain'] as const) {
    for (const app of appNames) {
      if (kind === 'plain' && app !== 'echo') continue;
      for (const side of sides) {
        const port = await freePort();
        ports.set(`${kind} ${app} ${side}`, port);
        const location = [
          kind === 'compare' ? VALIDATOR_FRIENDLY_PARAMS : '',
          app === 'streaming' ? 'uwsgi_buffering off;' : '',
        ].join('\n');
        sites.push(uwsgiSite({
          port, pass: uwsgiPassTarget(socket(side, app)), root: path.join(dir, 'www'), location,
          server: 'client_max_body_size 200m;\nlarge_client_header_buffers 4 32k;',
        }));
      }
    }
  }
  const port = (kind: SiteKind, app: AppName, side: Side) => ports.get(`${kind} ${app} ${side}`)!;
  nginx = await startNginx(nginxPath, { dir, port: port('compare', 'echo', 'nuwsgi'), http: sites.join('\n') });
  return { dir, nginx, oracles: oracles as Record<AppName, RunningUwsgi>, servers: servers as Record<AppName, RunningServer>, port };
}

test('nginx to uWSGI and nginx to nuwsgi answer the same', { timeout: 60_000 }, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const uwsgiPath = needUwsgi(t);
  if (uwsgiPath === undefined) return;
  for (let i = 0; i < 100; i++) randomBytes(MiB).copy(large, i * MiB);
  const s = await setUp(t, nginxPath, uwsgiPath);

  for (const c of cases) {
    await t.test(`${c.method ?? 'GET'} ${c.app}.py: ${c.name}`, async () => {
      const ports = { uwsgi: s.port('compare', c.app, 'uwsgi'), nuwsgi: s.port('compare', c.app, 'nuwsgi') };
      const u = await fetchAnswer(ports.uwsgi, c);
      const n = await fetchAnswer(ports.nuwsgi, c);
      assert.ok(u.status < 500, `the oracle failed: ${u.status}\n${s.oracles[c.app].output().slice(-2000)}`);
      assert.deepEqual(differences(c, ports, u, n), [], `${c.method ?? 'GET'} ${c.target}`);
    });
  }

  await t.test('plain uwsgi_params: a validated app works under nuwsgi, not under uWSGI (differences 1 and 2)', async () => {
    const ports = { uwsgi: s.port('plain', 'echo', 'uwsgi'), nuwsgi: s.port('plain', 'echo', 'nuwsgi') };
    const get: Case = { name: 'GET /', app: 'echo', target: '/' };
    const u1 = await fetchAnswer(ports.uwsgi, get);
    assert.equal(u1.status, 502, 'uWSGI leaves SCRIPT_NAME out, wsgiref.validate raises KeyError, nginx answers 502');
    await s.oracles.echo.waitForOutput(/KeyError: 'SCRIPT_NAME'/);
    const n1 = await fetchAnswer(ports.nuwsgi, get);
    assert.equal(n1.status, 200, n1.body.toString('latin1'));
    assert.equal(json<Echo>(n1.body).cgi.SCRIPT_NAME, '');

    const post: Case = { name: 'form', app: 'echo', method: 'POST', target: '/form', body: form,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
    const u2 = await fetchAnswer(ports.uwsgi, post);
    assert.equal(u2.status, 502, 'uWSGI passes HTTP_CONTENT_TYPE, wsgiref.validate raises, nginx answers 502');
    await s.oracles.echo.waitForOutput(/Environment should not have the key: HTTP_CONTENT_TYPE/);
    const n2 = await fetchAnswer(ports.nuwsgi, post);
    assert.equal(n2.status, 200, n2.body.toString('latin1'));
    const echo = json<Echo>(n2.body);
    assert.equal(echo.body, form);
    assert.equal(echo.cgi.CONTENT_TYPE, 'application/x-www-form-urlencoded');
    assert.equal(echo.cgi.CONTENT_LENGTH, String(form.length));
    assert.equal('HTTP_CONTENT_TYPE' in echo.cgi, false);
    assert.equal('HTTP_CONTENT_LENGTH' in echo.cgi, false);
  });

  await t.test('nuwsgi logged no tracebacks', () => {
    for (const app of appNames) assert.doesNotMatch(s.servers[app].output(), /Traceback/, `${app}.py:\n${s.servers[app].output()}`);
  });
});
