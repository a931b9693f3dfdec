// The examples in examples/ run as their READMEs say and give real answers: the stdlib hello app
// (with the command line of `npm start`), the Flask app (wsgi.py importing manage.py) and the
// Django project, the latter two from a virtualenv that sees Debian's python3-flask/-django.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, repoRoot, type RunningServer } from './helpers/server.ts';
import { needPythonModule, systemVenv } from './helpers/peers.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked, in pieces of this many bytes. */
  chunked?: number;
}

/** One request on a fresh connection (no keep-alive pool left behind by the test). */
function request(server: RunningServer, target: string, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined && options.chunked === undefined) headers['Content-Length'] = String(body.length);
    const req = http.request(
      { host: '127.0.0.1', port: server.port, path: target, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${options.method ?? 'GET'} ${target} within 15 s`)));
    req.on('error', reject);
    if (body !== undefined && options.chunked !== undefined) {
      for (let i = 0; i < body.length; i += options.chunked) req.write(body.subarray(i, i + options.chunked));
    } else if (body !== undefined) {
      req.write(body);
    }
    req.end();
  });
}

function json(reply: Reply): Record<string, unknown> {
  assert.match(String(reply.headers['content-type']), /^application\/json\b/, 'a JSON content type');
  return JSON.parse(reply.body) as Record<string, unknown>;
}

/** Starts nuwsgi, stops it after the test, and checks it went away cleanly and without tracebacks. */
async function serve(t: TestContext, args: string[]): Promise<RunningServer> {
  const server = await startServer(args);
  const stopServer = server.stop;
  let stopped = false;
  t.after(async () => {
    if (!stopped) await stopServer('SIGKILL');
  });
  t.after(() => {
    assert.doesNotMatch(server.output(), /Traceback \(most recent call last\)/, `no traceback in the server's output:\n${server.output()}`);
  });
  return Object.assign(server, {
    stop: async (signal?: NodeJS.Signals) => {
      stopped = true;
      return stopServer(signal);
    },
  });
}

/** The nuwsgi arguments of `npm start`, with the listener moved to an ephemeral port. */
function npmStartArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const step = pkg.scripts.start.split('&&').map((s) => s.trim()).find((s) => s.startsWith('node bin/nuwsgi.js '));
  assert.ok(step, `npm start runs node bin/nuwsgi.js (it is: ${pkg.scripts.start})`);
  const args = step.split(/\s+/).slice(2);
  const listener = args.indexOf('--http');
  assert.ok(listener >= 0 && args[listener + 1] === '127.0.0.1:8000', `npm start listens on 127.0.0.1:8000 (${step})`);
  args[listener + 1] = '127.0.0.1:0';
  return args;
}

test('examples/hello serves with the command line of npm start', async (t) => {
  const args = npmStartArgs();
  assert.ok(args.includes('examples/hello/app.py'));
  const server = await serve(t, args);

  await t.test('GET / is an HTML page that says hello and shows the method and path', async () => {
    const r = await request(server, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
    assert.match(r.body, /<h1>Hello, World!<\/h1>/);
    assert.match(r.body, /<code>GET<\/code> <code>\/<\/code>/);
  });

  await t.test('the page shows another path, its query string and a POST', async () => {
    const r = await request(server, '/some/where?x=1&y=%C3%A9', { method: 'POST', body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 200);
    assert.match(r.body, /<code>POST<\/code> <code>\/some\/where\?x=1&amp;y=%C3%A9<\/code>/);
  });

  await t.test('a path with UTF-8 in it comes back as sent', async () => {
    const r = await request(server, '/caf%C3%A9');
    assert.equal(r.status, 200);
    assert.match(r.body, /<code>\/café<\/code>/);
  });

  await t.test('GET /plaintext is the 13 bytes "Hello, World!"', async () => {
    const r = await request(server, '/plaintext');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.headers['content-length'], '13');
    assert.equal(r.body, 'Hello, World!');
  });

  await t.test('HEAD /plaintext has the headers and no body', async () => {
    const r = await request(server, '/plaintext', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '13');
    assert.equal(r.body, '');
  });

  await t.test('SIGTERM stops it cleanly', async () => {
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});

test('examples/flask (wsgi:app from manage.py) serves pages, JSON and POSTs', async (t) => {
  if (!(await needPythonModule(t, 'flask', 'python3-flask'))) return;
  const venv = await systemVenv(t);
  if (venv === undefined) return;
  const server = await serve(t, [
    '--http', '127.0.0.1:0',
    '--chdir', path.join(repoRoot, 'examples', 'flask'),
    '-w', 'wsgi:app',
    '--home', venv,
    '--processes', '2',
  ]);

  await t.test('GET / is the HTML page', async () => {
    const r = await request(server, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(r.body, /<h1>Hello from Flask<\/h1>/);
    assert.match(r.body, /<code>GET<\/code> <code>\/<\/code>/);
    assert.match(r.body, /href="\/api\/info"/);
  });

  await t.test('GET /api/info is JSON about the request', async () => {
    const r = await request(server, '/api/info?x=1&name=caf%C3%A9');
    assert.equal(r.status, 200);
    const info = json(r);
    assert.equal(info.framework, 'flask');
    assert.equal(info.method, 'GET');
    assert.equal(info.path, '/api/info');
    assert.deepEqual(info.args, { x: '1', name: 'café' });
    assert.match(String(info.python), /^3\.\d+\.\d+/);
    assert.equal(info.multiprocess, true, 'wsgi.multiprocess with --processes 2');
  });

  await t.test('POST /echo with a form echoes its fields', async () => {
    const body = 'name=nuwsgi&greeting=h%C3%A9llo+w%C3%B6rld';
    const r = await request(server, '/echo', { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), { received: 'form', data: { name: 'nuwsgi', greeting: 'héllo wörld' }, content_length: Buffer.byteLength(body) });
  });

  await t.test('POST /echo with JSON echoes the document', async () => {
    const doc = { hello: 'world', list: [1, 2, 3], nested: { ok: true, text: 'ünïcødé' } };
    const body = JSON.stringify(doc);
    const r = await request(server, '/echo', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), { received: 'json', data: doc, content_length: Buffer.byteLength(body) });
  });

  await t.test('POST /echo with a chunked JSON body (no Content-Length) is read whole', async () => {
    const doc = { chunked: true, filler: 'x'.repeat(100_000) };
    const r = await request(server, '/echo', { method: 'POST', body: JSON.stringify(doc), chunked: 4096, headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 200);
    const echoed = json(r);
    assert.equal(echoed.received, 'json');
    assert.deepEqual(echoed.data, doc);
  });

  await t.test('GET /echo is the form; an unknown path is 404; PUT /echo is 405', async () => {
    const form = await request(server, '/echo');
    assert.equal(form.status, 200);
    assert.match(form.body, /<form method="post" action="\/echo">/);
    const missing = await request(server, '/no/such/page');
    assert.equal(missing.status, 404);
    assert.match(String(missing.headers['content-type']), /^text\/html/);
    const put = await request(server, '/echo', { method: 'PUT', body: 'x' });
    assert.equal(put.status, 405);
    assert.match(String(put.headers.allow), /POST/);
  });

  await t.test('SIGTERM stops it cleanly', async () => {
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
  });
});

test('examples/django (mysite.wsgi:application) serves its views', async (t) => {
  if (!(await needPythonModule(t, 'django', 'python3-django'))) return;
  const venv = await systemVenv(t);
  if (venv === undefined) return;
  const server = await serve(t, [
    '--http', '127.0.0.1:0',
    '--chdir', path.join(repoRoot, 'examples', 'django'),
    '-w', 'mysite.wsgi:application',
    '--home', venv,
    '--processes', '2',
  ]);

  await t.test('GET / is the plain HTML view', async () => {
    const r = await request(server, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['x-frame-options'], 'DENY', 'the middleware ran');
    assert.match(r.body, /<h1>Hello from Django<\/h1>/);
    assert.match(r.body, /<code>GET<\/code> <code>\/<\/code>/);
  });

  await t.test('GET /api/info is the JSON view', async () => {
    const r = await request(server, '/api/info');
    assert.equal(r.status, 200);
    const info = json(r);
    assert.equal(info.framework, 'django');
    assert.match(String(info.django), /^\d+\.\d+/);
    assert.equal(info.method, 'GET');
    assert.equal(info.path, '/api/info');
    assert.equal(info.host, `127.0.0.1:${server.port}`);
    assert.equal(info.script_name, '');
  });

  await t.test('localhost is an allowed host; another Host is refused with 400', async () => {
    const local = await request(server, '/api/info', { headers: { Host: `localhost:${server.port}` } });
    assert.equal(local.status, 200);
    assert.equal(json(local).host, `localhost:${server.port}`);
    const other = await request(server, '/api/info', { headers: { Host: 'evil.example' } });
    assert.equal(other.status, 400);
  });

  await t.test('an unknown path is 404 and POST to a GET-only view is 405', async () => {
    const missing = await request(server, '/no/such/page');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /Not Found/);
    const post = await request(server, '/api/info', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  await t.test('SIGTERM stops it cleanly', async () => {
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null });
  });
});
