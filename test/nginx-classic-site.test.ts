// The nginx site of the classic "nginx + uWSGI + Flask on Debian" tutorial deployment, unchanged
// but for two lines: `listen 80` becomes a free loopback port, and `uwsgi_pass` points at nuwsgi's
// socket in a temporary directory. `nginx -t` accepts it, and the site serves the tutorial's Flask
// app (examples/flask: wsgi.py importing `app` from manage.py) through nuwsgi, started with the
// settings of the tutorial's ini that nuwsgi understands: module, master, processes, socket,
// chmod-socket, vacuum.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deploymentDir, freePort, needNginx, nginxConfigTest, startNginx, startNuwsgiSocket, writeNginxConfig } from './helpers/nginx.ts';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { repoRoot } from './helpers/server.ts';
import { httpRequest, json, stopServer, tempDir } from './helpers/wire.ts';

/** The server block exactly as the tutorial publishes it (stray comma in server_name included). */
const TUTORIAL_SITE = `server {
    listen 80;
    server_name codingpy.com, www.codingpy.com;

    location / {
        include uwsgi_params;
        uwsgi_pass unix:/var/www/codingpy/codingpy.sock;
    }
}`;

/** The tutorial's site with its port and socket path replaced, and nothing else. */
function classicSite(port: number, socket: string): string {
  const site = TUTORIAL_SITE
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('unix:/var/www/codingpy/codingpy.sock', `unix:${socket}`);
  assert.notEqual(site, TUTORIAL_SITE);
  return site.split('\n').map((line) => `    ${line}`).join('\n');
}

test('nginx -t accepts the classic tutorial\'s site pointed at nuwsgi', { timeout: 30_000 }, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const dir = tempDir('nuwsgi-nginx-classic-t-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const conf = writeNginxConfig({ dir, http: classicSite(await freePort(), path.join(dir, 'codingpy.sock')) });
  const { status, output } = await nginxConfigTest(nginxPath, conf);
  assert.equal(status, 0, output);
  assert.match(output, /syntax is ok/);
  assert.match(output, /test is successful/);
});

test('the classic tutorial\'s site serves its Flask app through nuwsgi', { timeout: 60_000 }, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  if (!(await needPythonModule(t, 'flask', 'python3-flask'))) return;
  const venv = await systemVenv(t);
  if (venv === undefined) return;

  const deployment = deploymentDir(t, 'nuwsgi-nginx-classic-');
  const socket = path.join(deployment.dir, 'codingpy.sock');
  const port = await freePort();

  // codingpy.ini's settings that nuwsgi understands, on the command line: module = wsgi:app,
  // master = true, processes = 5, socket, chmod-socket = 660, vacuum = true. (threads, gevent and
  // async are tested in test/gevent.test.ts; die-on-term and the for-readline loop over .envs are
  // left out.) The app is the
  // tutorial's layout in examples/flask, run from a virtualenv as in the tutorial.
  deployment.server = await startNuwsgiSocket(socket, [
    '--chdir', path.join(repoRoot, 'examples', 'flask'), '--module', 'wsgi:app', '--home', venv,
    '--master', '--processes', '5', '--chmod-socket=660', '--vacuum',
  ]);
  const nginx = deployment.nginx = await startNginx(nginxPath, { dir: deployment.dir, port, http: classicSite(port, socket) });
  const url = (target: string) => `${nginx.url}${target}`;

  await t.test('the socket nginx connects to has mode 660', () => {
    assert.equal((fs.statSync(socket).mode & 0o777).toString(8), '660');
  });

  await t.test('GET / is the Flask page', async () => {
    const r = await httpRequest(url('/'), { headers: { Host: 'codingpy.com' } });
    assert.equal(r.status, 200, r.body.toString('utf8'));
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(r.body.toString('utf8'), /<h1>Hello from Flask<\/h1>/);
  });

  await t.test('GET /api/info is JSON with the query string', async () => {
    const r = await httpRequest(url('/api/info?x=1&name=caf%C3%A9'), { headers: { Host: 'www.codingpy.com' } });
    assert.equal(r.status, 200, r.body.toString('utf8'));
    const info = json<Record<string, unknown>>(r.body);
    assert.equal(info.framework, 'flask');
    assert.equal(info.path, '/api/info');
    assert.deepEqual(info.args, { x: '1', name: 'café' });
    assert.equal(info.multiprocess, true, 'wsgi.multiprocess with processes = 5');
  });

  await t.test('POST /echo with a form is echoed', async () => {
    const body = 'name=nuwsgi&greeting=h%C3%A9llo';
    const r = await httpRequest(url('/echo'), {
      method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length },
    });
    assert.equal(r.status, 200, r.body.toString('utf8'));
    assert.deepEqual(json(r.body), { received: 'form', data: { name: 'nuwsgi', greeting: 'héllo' }, content_length: body.length });
  });

  await t.test('an unknown page is Flask\'s 404, not nginx\'s', async () => {
    const r = await httpRequest(url('/no/such/page'));
    assert.equal(r.status, 404);
    assert.doesNotMatch(r.body.toString('utf8'), /<center>nginx/);
  });

  await t.test('vacuum: the socket is removed when nuwsgi stops', async () => {
    await stopServer(deployment.server);
    assert.equal(fs.existsSync(socket), false, `${socket} is left behind`);
  });
});
