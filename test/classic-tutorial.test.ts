// The classic nginx + uWSGI + Flask tutorial (shared/reference/classic-deployment.md), taken over
// unchanged: its codingpy.ini and its first test command, with a Flask app whose wsgi.py does
// `from manage import app`. Only the ini's socket path differs (a temporary directory instead of
// /tmp/codingpy.sock), so that test runs never collide; everything else is compared to the
// published file line by line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { repoRoot, startServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest } from './helpers/uwsgi-client.ts';
import { tempDir } from './helpers/wire.ts';

const published = fs.readFileSync(path.join(repoRoot, 'test', 'configfiles', 'classic.ini'), 'utf8');

/** A project laid out as the tutorial's: manage.py defines the Flask app, wsgi.py imports it. */
function tutorialProject(socket: string): string {
  const dir = tempDir('nuwsgi-codingpy-');
  fs.writeFileSync(path.join(dir, 'codingpy.ini'), published.replace('socket = /tmp/codingpy.sock', `socket = ${socket}`));
  fs.writeFileSync(path.join(dir, '.envs'), 'GREETING=hello from .envs\nSECRET_KEY=s3cret\n');
  fs.writeFileSync(path.join(dir, 'manage.py'), [
    'import os',
    'from wsgiref.validate import validator',
    'from flask import Flask',
    '',
    'app = Flask(__name__)',
    '',
    "@app.route('/env/<name>')",
    'def env(name):',
    "    return os.environ.get(name, '(unset)')",
    '',
    'app.wsgi_app = validator(app.wsgi_app)',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'wsgi.py'), 'from manage import app\n\nif __name__ == "__main__":\n    app.run()\n');
  return dir;
}

/** A virtualenv with Flask and gevent (the ini asks for gevent = 100), or undefined when skipped. */
async function tutorialVenv(t: TestContext): Promise<string | undefined> {
  if (!(await needPythonModule(t, 'flask', 'python3-flask'))) return undefined;
  if (!(await needPythonModule(t, 'gevent', 'python3-gevent'))) return undefined;
  return systemVenv(t);
}

test('the ini differs from the published one only in its socket path', () => {
  const dir = tutorialProject('/elsewhere/codingpy.sock');
  const ours = fs.readFileSync(path.join(dir, 'codingpy.ini'), 'utf8').split('\n');
  const theirs = published.split('\n');
  assert.equal(ours.length, theirs.length);
  const differing = ours.filter((line, i) => line !== theirs[i]);
  assert.deepEqual(differing, ['socket = /elsewhere/codingpy.sock']);
  for (const line of ['module = wsgi:app', 'master = true', 'processes = 5', 'threads = 100', 'gevent = 100', 'async = 100', 'chmod-socket = 660',
    'vacuum = true', 'die-on-term = true', 'for-readline = .envs', '  env = %(_)', 'endfor =']) {
    assert.ok(theirs.includes(line), `the published ini has ${JSON.stringify(line)}`);
  }
});

test('nuwsgi --ini codingpy.ini: socket mode 660, the .envs variables reach the app, the socket is removed on exit', async (t) => {
  const venv = await tutorialVenv(t);
  if (venv === undefined) return;
  const socketDir = tempDir('nuwsgi-codingpy-sock-');
  const socket = path.join(socketDir, 'codingpy.sock');
  const dir = tutorialProject(socket);
  // The unit file's Environment="PATH=/var/www/venv/bin" makes the venv's interpreter the one
  // found; here --home says the same.
  const server = await startServer(['--ini', 'codingpy.ini', '--home', venv], { cwd: dir });
  let stopped = false;
  t.after(async () => { if (!stopped) await server.stop(); });

  assert.match(server.output(), /Operational MODE: gevent, 100 async cores per worker/);
  assert.equal(server.output().match(/spawned worker \d+ \(pid/g)?.length, 5);
  assert.equal(fs.statSync(socket).mode & 0o777, 0o660);

  const response = await uwsgiRequest({ path: socket }, nginxVars({ uri: '/env/GREETING' }));
  assert.equal(response.statusCode, 200);
  assert.equal(response.body.toString(), 'hello from .envs');
  const secret = await uwsgiRequest({ path: socket }, nginxVars({ uri: '/env/SECRET_KEY' }));
  assert.equal(secret.body.toString(), 's3cret');

  const exit = await server.stop('SIGTERM');
  stopped = true;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal(fs.existsSync(socket), false, 'vacuum removed the socket');
});

test("the tutorial's first test command serves the same app over HTTP", async (t) => {
  const venv = await tutorialVenv(t);
  if (venv === undefined) return;
  const dir = tutorialProject(path.join(tempDir(), 'unused.sock'));
  fs.writeFileSync(path.join(dir, '.envs'), '');
  // `uwsgi --socket 0.0.0.0:5000 --protocol=http -w wsgi:app`, on a free port instead of 5000
  const server = await startServer(['--socket', '0.0.0.0:0', '--protocol=http', '-w', 'wsgi:app', '--home', venv], { cwd: dir });
  t.after(() => server.stop());
  const reply = await fetch(`${server.url}/env/PATH`);
  assert.equal(reply.status, 200);
  assert.notEqual(await reply.text(), '(unset)');
});
