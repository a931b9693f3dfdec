// `nuwsgi init`: the app is found (a wsgi.py, a Flask app object or factory, a Django project with
// its settings), every answer has a flag and a default taken when stdin is not a terminal, the
// files agree with each other (the socket, limit-post, the static folders), an existing file is
// only overwritten with --force, --dry-run writes nothing, and a bad answer is a clear error. On a
// terminal, it asks for what the flags did not give.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { detectApp } from '../src/init/detect.ts';
import { needSystemPython } from './helpers/peers.ts';
import { startInPty } from './helpers/pty.ts';
import { cliPath, repoRoot, runCommand } from './helpers/server.ts';
import { tempDir } from './helpers/wire.ts';

/** A project directory holding `files` (paths relative to it). */
function project(files: Record<string, string>): string {
  const dir = fs.realpathSync(tempDir('nuwsgi-init-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** `nuwsgi init ARGS`, with stdin not a terminal (execFile gives it a pipe). */
function init(args: string[], cwd = os.tmpdir()) {
  return runCommand(['init', ...args], cwd, { PATH: process.env.PATH });
}

describe('what init finds in the project', () => {
  it('a wsgi.py importing a Flask app (the classic layout), with the static folder next to the module that makes it', () => {
    const dir = project({
      'manage.py': 'from flask import Flask\napp = Flask(__name__)\n',
      'wsgi.py': 'from manage import app\n\nif __name__ == "__main__":\n    app.run()\n',
      'static/app.css': 'body {}\n',
    });
    assert.deepEqual(detectApp(dir), {
      description: 'Flask app in wsgi.py (app)', module: 'wsgi:app', env: [],
      statics: [{ url: '/static', dir: path.join(dir, 'static') }], framework: 'flask',
    });
  });

  it('a plain wsgi.py exposing application', () => {
    const dir = project({ 'wsgi.py': 'def application(environ, start_response):\n    pass\n' });
    const found = detectApp(dir);
    assert.ok(!(found instanceof Error));
    assert.equal(found.module, 'wsgi:application');
    assert.equal(found.framework, 'wsgi');
  });

  it('a Flask app object in a module, with static_folder and static_url_path', () => {
    const dir = project({ 'site.py': "from flask import Flask\nweb = Flask(__name__, static_folder='assets', static_url_path='/a')\n", 'assets/x.js': '' });
    const found = detectApp(dir);
    assert.ok(!(found instanceof Error));
    assert.equal(found.module, 'site:web');
    assert.deepEqual(found.statics, [{ url: '/a', dir: path.join(dir, 'assets') }]);
  });

  it('a Flask app factory in a package', () => {
    const dir = project({ 'shop/__init__.py': 'from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n', 'shop/static/logo.svg': '' });
    const found = detectApp(dir);
    assert.ok(!(found instanceof Error));
    assert.equal(found.module, 'shop:create_app()');
    assert.deepEqual(found.statics, [{ url: '/static', dir: path.join(dir, 'shop', 'static') }]);
  });

  it('a Django project: its settings module, its WSGI application, STATIC_ROOT at STATIC_URL', () => {
    const found = detectApp(path.join(repoRoot, 'examples', 'django'));
    assert.deepEqual(found, {
      description: 'Django project (settings: mysite.settings)', module: 'mysite.wsgi:application',
      env: ['DJANGO_SETTINGS_MODULE=mysite.settings'],
      statics: [{ url: '/static', dir: path.join(repoRoot, 'examples', 'django', 'static') }], framework: 'django',
    });
  });

  it('no app: init says what it looked for and which flag names the app', async () => {
    const dir = project({ 'README': 'nothing here\n' });
    const run = await init([dir]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /found no app in .*: no Django manage\.py, no wsgi\.py and no module that makes a Flask app .*--module MODULE:CALLABLE/);
    const named = await init([dir, '--module', 'other:app', '--dry-run']);
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /^module = other:app$/m);
  });
});

describe('the files init writes', () => {
  it('with the defaults (stdin is not a terminal): files that agree, and the commands that enable them', async () => {
    const dir = project({ 'manage.py': 'from flask import Flask\napp = Flask(__name__)\n', 'wsgi.py': 'from manage import app\n', 'static/a.css': '' });
    const run = await init([dir]);
    assert.equal(run.code, 0, run.stderr);
    const name = path.basename(dir);
    const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
    const ini = read(`${name}.ini`);
    const service = read(`${name}.service`);
    const site = read(`${name}.nginx`);
    const socket = `/run/${name}/${name}.sock`;

    for (const line of [`socket = ${socket}`, 'chmod-socket = 660', 'vacuum = true', 'die-on-term = true', `processes = ${os.availableParallelism()}`,
      'module = wsgi:app', `chdir = ${dir}`, 'limit-post = 10485760', `static-map = /static=${dir}/static`,
      `for-readline = ${dir}/.envs`, '  env = %(_)', 'endfor =']) {
      assert.ok(ini.split('\n').includes(line), `the ini has ${JSON.stringify(line)}:\n${ini}`);
    }
    for (const line of ['Type=notify', 'NotifyAccess=all', 'ExecReload=/bin/kill -HUP $MAINPID', 'KillSignal=SIGTERM', 'Restart=on-failure',
      `RuntimeDirectory=${name}`, 'Group=www-data', `WorkingDirectory=${dir}`, 'WantedBy=multi-user.target']) {
      assert.ok(service.split('\n').includes(line), `the unit has ${JSON.stringify(line)}:\n${service}`);
    }
    const execStart = /^ExecStart=(\S+) (\S+) --ini (\S+)$/m.exec(service);
    assert.ok(execStart !== null, service);
    assert.equal(execStart[1], process.execPath, 'the real node binary, not npx');
    assert.equal(execStart[2], fs.realpathSync(path.join(repoRoot, 'bin', 'nuwsgi.js')));
    assert.equal(execStart[3], path.join(dir, `${name}.ini`));
    assert.doesNotMatch(service, /WatchdogSec/);

    assert.match(site, new RegExp(`^\\s+uwsgi_pass unix:${socket};$`, 'm'), 'nginx passes to the socket the ini binds');
    assert.match(site, /^\s+include uwsgi_params;$/m);
    assert.match(site, /^\s+client_max_body_size 10m;$/m);
    assert.match(site, new RegExp(`location /static/ \\{\\n\\s+alias ${dir}/static/;`));
    assert.match(site, /^\s+listen 80;$/m);

    const envs = fs.statSync(path.join(dir, '.envs'));
    assert.equal(envs.mode & 0o777, 0o600, '.envs holds secrets');
    assert.match(read('.envs'), /^SECRET_KEY=[\w-]{43}\n$/, 'a KEY=value line and no comment, which the loop would take for a variable');
    assert.ok(!fs.existsSync(path.join(dir, `${name}.socket`)), 'no socket unit unless asked');

    assert.match(run.stdout, new RegExp(`cp ${dir}/${name}\\.service /etc/systemd/system/${name}\\.service`));
    assert.match(run.stdout, new RegExp(`ln -s /etc/nginx/sites-available/${name} /etc/nginx/sites-enabled/${name}`));
    assert.match(run.stdout, new RegExp(`systemctl enable --now ${name}\\.service`));
  });

  it('a flag for every answer; --socket-activation writes a socket unit the service requires', async () => {
    const dir = project({ 'wsgi.py': 'application = None\n' });
    const out = path.join(dir, 'deploy');
    const run = await init([dir, '--name', 'shop', '--out', out, '--socket=/run/shop.sock', '--processes', '3', '--user', 'web', '--group', 'nginx',
      '--home', 'venv', '--server-name', 'shop.example www.shop.example', '--listen', '127.0.0.1:8080', '--limit-post', '512k',
      '--static', '/media=media', '--watchdog', '30', '--socket-activation', 'yes', '--module', 'wsgi:application']);
    assert.equal(run.code, 0, run.stderr);
    const read = (file: string) => fs.readFileSync(path.join(out, file), 'utf8');
    const ini = read('shop.ini');
    for (const line of ['socket = /run/shop.sock', 'processes = 3', `home = ${dir}/venv`, 'limit-post = 524288', `static-map = /media=${dir}/media`]) {
      assert.ok(ini.split('\n').includes(line), `${line}:\n${ini}`);
    }
    const service = read('shop.service');
    for (const line of ['User=web', 'Group=nginx', 'WatchdogSec=30', 'Requires=shop.socket', 'After=network.target shop.socket']) {
      assert.ok(service.split('\n').includes(line), `${line}:\n${service}`);
    }
    assert.doesNotMatch(service, /RuntimeDirectory/, 'the socket unit holds the directory across restarts');
    const socketUnit = read('shop.socket');
    for (const line of ['ListenStream=/run/shop.sock', 'SocketUser=web', 'SocketGroup=nginx', 'SocketMode=0660']) {
      assert.ok(socketUnit.split('\n').includes(line), `${line}:\n${socketUnit}`);
    }
    const site = read('shop.nginx');
    assert.match(site, /server_name shop\.example www\.shop\.example;/);
    assert.match(site, /listen 127\.0\.0\.1:8080;/);
    assert.match(site, /client_max_body_size 512k;/);
    assert.match(site, /uwsgi_pass unix:\/run\/shop\.sock;/);
    assert.match(run.stdout, /systemctl enable --now shop\.socket shop\.service/);
  });

  it('never overwrites a file without --force; --dry-run prints the files and writes nothing', async () => {
    const dir = project({ 'wsgi.py': 'application = None\n' });
    const name = path.basename(dir);
    fs.writeFileSync(path.join(dir, `${name}.ini`), '[uwsgi]\n# mine\n');
    const refused = await init([dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`not overwriting ${dir}/${name}\\.ini \\(--force overwrites them`));
    assert.equal(fs.readFileSync(path.join(dir, `${name}.ini`), 'utf8'), '[uwsgi]\n# mine\n');
    assert.ok(!fs.existsSync(path.join(dir, `${name}.service`)), 'nothing is written when one file is refused');

    const dry = await init([dir, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`==> ${dir}/${name}\\.service <==\\n\\[Unit\\]`));
    assert.ok(!fs.existsSync(path.join(dir, `${name}.service`)));

    const forced = await init([dir, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(fs.readFileSync(path.join(dir, `${name}.ini`), 'utf8'), /^module = wsgi:application$/m);
  });

  it('a bad answer is a clear error naming the flag and the expected form', async () => {
    const dir = project({ 'wsgi.py': 'application = None\n' });
    const cases: Array<[string[], RegExp]> = [
      [['--server-name', 'a.com, b.com'], /--server-name a\.com, b\.com: nginx separates names with spaces, not commas/],
      [['--socket', 'app.sock'], /--socket app\.sock: expected an absolute path/],
      [['--processes', '0'], /--processes 0: expected a whole number of at least 1/],
      [['--limit-post', 'lots'], /--limit-post lots: expected a size such as 10m/],
      [['--listen', 'eighty'], /--listen eighty: expected a port or ADDRESS:PORT/],
      [['--socket-activation', 'maybe'], /--socket-activation maybe: expected yes or no/],
      [['--static', 'static'], /--static static: expected URL=DIR/],
      [['--procs', '2'], /unknown option --procs \(see nuwsgi init --help\)/],
      [['--name'], /--name needs a value \(NAME\)/],
    ];
    for (const [args, message] of cases) {
      const run = await init([dir, ...args, '--dry-run']);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stdout}`);
      assert.match(run.stderr, message);
    }
    const help = await init(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: nuwsgi init \[DIR\]/);
    for (const flag of ['--name', '--module', '--socket', '--processes', '--user', '--group', '--home', '--server-name', '--listen',
      '--limit-post', '--static', '--watchdog', '--socket-activation', '--out', '--force', '--dry-run']) {
      assert.match(help.stdout, new RegExp(`^  ${flag}\\b`, 'm'));
    }
  });
});

describe('on a terminal', () => {
  it('asks for each answer no flag gave, the default in brackets; an empty answer takes the default', async (t) => {
    if (!(await needSystemPython(t))) return;
    const dir = project({ 'wsgi.py': 'application = None\n' });
    const term = startInPty(24, 120, [process.execPath, cliPath, 'init', dir, '--module', 'wsgi:application', '--socket', '/run/shop.sock',
      '--user', 'web', '--group', 'www-data', '--home', 'none', '--listen', '80', '--limit-post', '1m', '--watchdog', '0', '--socket-activation', 'no']);
    const answer = async (question: string, typed: string) => {
      await term.waitFor(question, () => term.output().includes(question));
      term.keys(`${typed}\r`);
    };
    await answer(`Name of the service [${path.basename(dir)}]: `, 'shop');
    await answer(`Worker processes [${os.availableParallelism()}]: `, '');
    await answer('Server names (separated by spaces) [_]: ', 'shop.example');
    const end = await term.ended;
    assert.equal(end.exit, 0, term.output());
    assert.match(fs.readFileSync(path.join(dir, 'shop.ini'), 'utf8'), new RegExp(`^processes = ${os.availableParallelism()}$`, 'm'));
    assert.match(fs.readFileSync(path.join(dir, 'shop.nginx'), 'utf8'), /^\s+server_name shop\.example;$/m);
  });
});
