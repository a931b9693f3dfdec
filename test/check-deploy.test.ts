// `nuwsgi check --ini APP.ini` checks the nginx site and the units deployed with the ini: the
// site's uwsgi_pass names the ini's socket and its server_name has no commas, `nginx -t` reads
// the site inside a wrapper config, the service starts this ini with Type=notify and passes
// `systemd-analyze verify`; each problem is named with its file and line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { needNginx } from './helpers/nginx.ts';
import { needExecutable } from './helpers/peers.ts';
import { runCommand } from './helpers/server.ts';
import { tempDir } from './helpers/wire.ts';

/** A project with the files `nuwsgi init` writes for it, its socket in the project directory. */
async function initialized(t: TestContext): Promise<{ dir: string; ini: string; site: string; service: string } | undefined> {
  if (needNginx(t) === undefined || needExecutable(t, 'systemd-analyze', 'systemd') === undefined) return undefined;
  const dir = fs.realpathSync(tempDir('nuwsgi-check-deploy-'));
  fs.writeFileSync(path.join(dir, 'wsgi.py'), 'application = None\n');
  const made = await runCommand(['init', dir, '--name', 'app', '--socket', path.join(dir, 'app.sock'), '--user', os.userInfo().username,
    '--group', 'root', '--server-name', 'app.example www.app.example'], dir, { PATH: process.env.PATH });
  assert.equal(made.code, 0, made.stderr);
  return { dir, ini: path.join(dir, 'app.ini'), site: path.join(dir, 'app.nginx'), service: path.join(dir, 'app.service') };
}

function check(ini: string, cwd: string) {
  return runCommand(['check', '--ini', ini], cwd, { PATH: process.env.PATH });
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const changed = text.replace(from, to);
  assert.notEqual(changed, text, `${file} has ${from}`);
  fs.writeFileSync(file, changed);
}

test('the files init wrote pass: nginx -t on the site, systemd-analyze verify on the unit', async (t) => {
  const files = await initialized(t);
  if (files === undefined) return;
  const run = await check(files.ini, files.dir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^nuwsgi: ${files.site}: nginx -t: the site is valid$`, 'm'));
  assert.match(run.stdout, new RegExp(`^nuwsgi: ${files.service}: systemd-analyze verify: `, 'm'));
  assert.match(run.stdout, /^nuwsgi: configuration OK$/m);
});

test('a site passing to another socket than the ini binds, the classic 502, is refused with its line', async (t) => {
  const files = await initialized(t);
  if (files === undefined) return;
  edit(files.site, /uwsgi_pass unix:\S+;/, 'uwsgi_pass unix:/var/www/app/app.sock;');
  const run = await check(files.ini, files.dir);
  assert.equal(run.code, 1);
  const line = fs.readFileSync(files.site, 'utf8').split('\n').findIndex((l) => l.includes('uwsgi_pass')) + 1;
  assert.match(run.stderr, new RegExp(`^nuwsgi: ${files.site} line ${line}: uwsgi_pass unix:/var/www/app/app\\.sock, but the ini's socket is ` +
    `${files.dir}/app\\.sock: nginx would answer 502 Bad Gateway$`, 'm'));
});

test('a comma in server_name, and a directive nginx -t refuses', async (t) => {
  const files = await initialized(t);
  if (files === undefined) return;
  edit(files.site, 'server_name app.example www.app.example;', 'server_name app.example, www.app.example;\n    bogus_directive on;');
  const run = await check(files.ini, files.dir);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /line 4: server_name app\.example, www\.app\.example: nginx separates names with spaces; it takes "app\.example," for a name/);
  assert.match(run.stderr, new RegExp(`${files.site}: nginx -t: \\[emerg\\] unknown directive "bogus_directive" in ${files.site}:5`));
});

test('a unit that starts another ini, without Type=notify, with a directive systemd does not know', async (t) => {
  const files = await initialized(t);
  if (files === undefined) return;
  edit(files.service, /--ini \S+/, '--ini /elsewhere/app.ini');
  edit(files.service, 'Type=notify', 'Type=simple\nRestartSecs=3');
  const run = await check(files.ini, files.dir);
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`${files.service}: ExecStart starts --ini /elsewhere/app\\.ini, not ${files.ini}`));
  assert.match(run.stderr, /no Type=notify: systemd would call the service started before the workers have loaded the app/);
  assert.match(run.stderr + run.stdout, /systemd-analyze verify: .*Unknown key 'RestartSecs' in section \[Service\]/);
});
