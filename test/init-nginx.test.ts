// `nuwsgi init` on the Flask and Django examples gives files that serve end to end: nuwsgi runs the
// generated ini, Debian's nginx runs the generated site (in a temporary directory, on a loopback
// port), and a static file comes from nginx while a page comes from the app.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { freePort, needNginx, startNginx } from './helpers/nginx.ts';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { repoRoot, runCommand, startServer } from './helpers/server.ts';
import { httpRequest, tempDir } from './helpers/wire.ts';

interface Example {
  name: string;
  module: string;
  debianPackage: string;
  /** A static file of the example, its URL, and a page of the app with what it says. */
  staticFile: string;
  staticUrl: string;
  page: string;
  says: RegExp;
}

const examples: Example[] = [
  { name: 'flask', module: 'flask', debianPackage: 'python3-flask', staticFile: 'static/style.css', staticUrl: '/static/style.css',
    page: '/api/info', says: /"framework":\s*"flask"/ },
  { name: 'django', module: 'django', debianPackage: 'python3-django', staticFile: 'static/site.css', staticUrl: '/static/site.css',
    page: '/', says: /<h1>Hello from Django<\/h1>/ },
];

async function servesEndToEnd(t: TestContext, example: Example): Promise<void> {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  if (!(await needPythonModule(t, example.module, example.debianPackage))) return;
  const venv = await systemVenv(t);
  if (venv === undefined) return;

  const out = tempDir(`nuwsgi-init-${example.name}-`);
  const port = await freePort();
  const socket = path.join(out, `${example.name}.sock`);
  const project = path.join(repoRoot, 'examples', example.name);
  const made = await runCommand(['init', project, '--out', out, '--socket', socket, '--listen', `127.0.0.1:${port}`,
    '--server-name', 'localhost 127.0.0.1', '--home', venv, '--processes', '2'], out, { PATH: process.env.PATH });
  assert.equal(made.code, 0, made.stderr);

  const server = await startServer(['--ini', path.join(out, `${example.name}.ini`)], { cwd: out, readyTimeoutMs: 30_000 });
  t.after(async () => { await server.stop(); });
  assert.equal(fs.statSync(socket).mode & 0o777, 0o660);
  fs.mkdirSync(path.join(out, 'nginx'));
  const nginx = await startNginx(nginxPath, { dir: path.join(out, 'nginx'), port, http: [
    // as Debian's /etc/nginx/nginx.conf has it, and its sites-enabled holds the site
    '    include /etc/nginx/mime.types;',
    `    include ${path.join(out, `${example.name}.nginx`)};`,
  ].join('\n') });
  t.after(async () => { await nginx.stop(); });

  const asset = await httpRequest(`${nginx.url}${example.staticUrl}`);
  assert.equal(asset.status, 200);
  assert.equal(asset.body.toString(), fs.readFileSync(path.join(project, example.staticFile), 'utf8'));
  assert.match(String(asset.headers['content-type']), /^text\/css/);

  const page = await httpRequest(`${nginx.url}${example.page}`);
  assert.equal(page.status, 200, page.body.toString());
  assert.match(page.body.toString(), example.says);

  // the app logged its page and never saw the static file: nginx sent that itself
  await server.waitForOutput(new RegExp(`GET ${example.page.replace(/[/.]/g, '\\$&')} `));
  assert.doesNotMatch(server.output(), new RegExp(path.basename(example.staticFile).replace('.', '\\.')));
  assert.match(fs.readFileSync(path.join(out, 'nginx', 'access.log'), 'utf8'), new RegExp(`GET ${example.staticUrl.replace(/[/.]/g, '\\$&')} `));
}

for (const example of examples) {
  test(`nuwsgi init on examples/${example.name}: the generated ini behind nginx with the generated site`, { timeout: 90_000 },
    (t) => servesEndToEnd(t, example));
}
