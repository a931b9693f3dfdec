// `nuwsgi check` (and --check) runs the start-up checks that need no side effect, as `nginx -t`
// does: every configuration start-up would refuse is refused, each problem in start-up's words and
// all of them at once, on stderr, with exit status 1; a good one is "configuration OK". Nothing is
// bound, created or written meanwhile.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { systemPython } from './helpers/peers.ts';
import { fixtureApps, runCommand } from './helpers/server.ts';
import { tempDir } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new directory holding `files` (paths relative to it), by its real path (as process.cwd() names it). */
function directoryWith(files: Record<string, string> = {}): string {
  const dir = fs.realpathSync(tempDir());
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function check(args: string[], cwd = directoryWith()) {
  return runCommand(['check', ...args], cwd, { PATH: process.env.PATH });
}

/** Asserts that check refused the configuration with exactly `problems`, one line each. */
async function assertRefused(args: string[], problems: string[], cwd?: string): Promise<void> {
  const run = await check(args, cwd);
  assert.deepEqual(run, { code: 1, stdout: '', stderr: problems.map((problem) => `nuwsgi: ${problem}\n`).join('') });
}

/** A server listening at `where` (a TCP port on 127.0.0.1 when it is a number, else a unix socket path or \0name). */
async function listening(where: number | string): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => {
    if (typeof where === 'number') server.listen(where, '127.0.0.1', resolve);
    else server.listen(where, resolve);
  });
  return server;
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A TCP port of 127.0.0.1 that nothing listens on now. */
async function freePort(): Promise<number> {
  const server = await listening(0);
  const { port } = server.address() as net.AddressInfo;
  await close(server);
  return port;
}

describe('check: a good configuration', () => {
  it('says "configuration OK" and exits 0', async () => {
    const dir = directoryWith({ 'wsgi.py': 'def app(environ, start_response):\n    return []\n', 'lib/helper.py': '' });
    const run = await check(['--http', '127.0.0.1:0', '--module', 'wsgi:app', '--mount', '/h=helper', '--pythonpath', 'lib',
      '--mount', '/e=' + echoApp, '--chdir2', '.'], dir);
    assert.deepEqual(run, { code: 0, stdout: 'nuwsgi: configuration OK\n', stderr: '' });
  });

  it('warns of a static mount whose path is missing, which start-up only warns of too', async () => {
    const dir = directoryWith({ 'static/a.css': '' });
    const run = await check(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--static-map', '/static=static',
      '--static-map', '/media=media'], dir);
    assert.deepEqual(run, {
      code: 0,
      stdout: 'nuwsgi: configuration OK\n',
      stderr: 'nuwsgi: warning: static-map /media=media: media cannot be used (ENOENT); ' +
        'it serves nothing until the server restarts with it in place\n',
    });
  });

  it('finds a module under --chdir and a --pythonpath glob, without running the package it is in', async () => {
    const dir = directoryWith({
      'site/pkg/__init__.py': 'open("ran", "w").close()\n',
      'site/pkg/wsgi.py': '',
      'vendor/v1/dep.py': '',
    });
    const run = await check(['--http', '127.0.0.1:0', '--chdir', path.join(dir, 'site'), '--module', 'pkg.wsgi',
      '--pythonpath', path.join(dir, 'vendor', 'v*'), '--mount', '/d=dep:app']);
    assert.deepEqual(run, { code: 0, stdout: 'nuwsgi: configuration OK\n', stderr: '' });
    assert.equal(fs.existsSync(path.join(dir, 'site', 'ran')), false, "the package's __init__ did not run");
  });

  it('binds, creates and writes nothing', async () => {
    const dir = directoryWith();
    const file = path.join(dir, 'app.sock');
    const port = await freePort();
    const written = ['app.pid', 'app2.pid', 'app.log', 'fifo'].map((name) => path.join(dir, name));
    const run = await check(['--socket', file, '--http', `127.0.0.1:${port}`, '--wsgi-file', echoApp, '--vacuum',
      '--pidfile', written[0]!, '--pidfile2', written[1]!, '--logto', written[2]!, '--master-fifo', written[3]!]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(fs.readdirSync(dir), [], 'no socket file, pidfile, log or FIFO');
    await close(await listening(port)); // the port is still free
  });

  it('takes a stale unix socket file (nothing answers on it) as start-up does, and leaves it', async () => {
    const file = path.join(directoryWith(), 'app.sock');
    execFileSync(systemPython, ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', file]);
    const { ino } = fs.statSync(file);
    const run = await check(['--socket', file, '--wsgi-file', echoApp]);
    assert.deepEqual(run, { code: 0, stdout: 'nuwsgi: configuration OK\n', stderr: '' });
    assert.equal(fs.statSync(file).ino, ino);
  });
});

describe('check: what start-up would refuse, in its words', () => {
  it('a missing --wsgi-file, or a missing file of a --mount', async () => {
    const dir = directoryWith();
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', 'missing.py', '--mount', '/x=gone.wsgi'], [
      `--wsgi-file missing.py: no such file (working directory: ${dir})`,
      `--mount /x=gone.wsgi: no such file (working directory: ${dir})`,
    ], dir);
  });

  it('a --module, or a module of a --mount, not on the workers’ path', async () => {
    const dir = directoryWith({ 'pkg/__init__.py': '' });
    await assertRefused(['--http', '127.0.0.1:0', '--module', 'nowhere.wsgi:application', '--mount', '/p=pkg.missing'], [
      `--module nowhere.wsgi:application: no module named 'nowhere.wsgi' on the workers' path (working directory: ${dir})`,
      `--mount /p=pkg.missing: no module named 'pkg.missing' on the workers' path (working directory: ${dir})`,
    ], dir);
  });

  it('a --home that does not exist, or has no python3', async () => {
    const dir = directoryWith({ 'not-a-venv/README': '' });
    const [missing, notAVenv] = [path.join(dir, 'venv'), path.join(dir, 'not-a-venv')];
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--home', missing], [
      `--home ${missing}: no such directory (expected a virtualenv, e.g. --home /var/www/venv)`,
    ]);
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--home', notAVenv], [
      `--home ${notAVenv}: no Python interpreter at ${path.join(notAVenv, 'bin', 'python3')} (is it a virtualenv?)`,
    ]);
  });

  it('a --chdir or --chdir2 that does not exist', async () => {
    const [chdir, chdir2] = [path.join(directoryWith(), 'no'), path.join(directoryWith(), 'no2')];
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--chdir', chdir, '--chdir2', chdir2], [
      `--chdir ${chdir}: no such directory`,
      `--chdir2 ${chdir2}: no such directory`,
    ]);
  });

  it('a --listen above net.core.somaxconn', async (t) => {
    let somaxconn;
    try {
      somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    } catch {
      return t.skip('no /proc/sys/net/core/somaxconn here');
    }
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--listen', String(somaxconn + 1)], [
      `--listen ${somaxconn + 1}: the listen queue size is greater than the system maximum net.core.somaxconn (${somaxconn}): ` +
        'lower --listen, or raise net.core.somaxconn with sysctl',
    ]);
  });

  it('a malformed socket address', async () => {
    await assertRefused(['--socket', '3031', '--http', '127.0.0.1:99999', '--wsgi-file', echoApp], [
      "--http '127.0.0.1:99999' has no valid port (expected HOST:PORT with a port from 0 to 65535)",
      "--socket '3031' would be a unix socket file named 3031: for TCP port 3031 write :3031 (for the file, ./3031)",
    ]);
  });

  it('a TCP port, an abstract socket or a unix socket file another server listens on', async () => {
    const file = path.join(directoryWith(), 'live.sock');
    const name = `nuwsgi-check-${process.pid}`;
    const servers = [await listening(0), await listening(`\0${name}`), await listening(file)];
    const { port } = servers[0]!.address() as net.AddressInfo;
    try {
      await assertRefused(['--http', `127.0.0.1:${port}`, '--socket', `@${name}`, '--uwsgi-socket', file, '--wsgi-file', echoApp], [
        `cannot listen on --http 127.0.0.1:${port}: EADDRINUSE address already in use 127.0.0.1:${port}`,
        `cannot listen on --socket @${name}: EADDRINUSE address already in use @${name}`,
        `cannot listen on --uwsgi-socket ${file}: another server is listening on ${file} (is nuwsgi or uWSGI already running there?)`,
      ]);
    } finally {
      await Promise.all(servers.map(close));
    }
  });

  it('a unix socket path in a missing directory, or taken by a file that is not a socket', async () => {
    const dir = directoryWith({ 'precious.sock': 'precious' });
    const missing = path.join(dir, 'run', 'app.sock');
    const taken = path.join(dir, 'precious.sock');
    await assertRefused(['--socket', missing, '--socket', taken, '--wsgi-file', echoApp], [
      `cannot listen on --socket ${missing}: there is no directory ${path.dirname(missing)} for the socket: ` +
        'create it, or choose another path',
      `cannot listen on --socket ${taken}: ${taken} exists and is not a socket: remove it or choose another path`,
    ]);
    assert.equal(fs.readFileSync(taken, 'utf8'), 'precious');
  });

  it('a TCP host that is no address of this machine', async () => {
    await assertRefused(['--http', '192.0.2.1:8000', '--wsgi-file', echoApp], [
      'cannot listen on --http 192.0.2.1:8000: EADDRNOTAVAIL address not available 192.0.2.1:8000',
    ]);
  });

  it('an unknown --uid, --gid or --chown-socket owner', async () => {
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', echoApp,
      '--uid', 'no-such-user-here', '--gid', 'no-such-group-here', '--chown-socket', 'nobody:no-such-group-here'], [
      "--chown-socket nobody:no-such-group-here: there is no group 'no-such-group-here' in /etc/group (give a name from it, or a number)",
      "cannot run as --uid no-such-user-here: there is no user 'no-such-user-here' in /etc/passwd (give a name from it, or a number)",
      "cannot run as --gid no-such-group-here: there is no group 'no-such-group-here' in /etc/group (give a name from it, or a number)",
    ]);
  });

  it('gevent = N with no gevent in the workers’ Python', async () => {
    // a "virtualenv" whose interpreter has no site-packages, so no gevent
    const venv = directoryWith({ 'bin/python3': `#!/bin/sh\nexec ${systemPython} -S "$@"\n` });
    fs.chmodSync(path.join(venv, 'bin', 'python3'), 0o755);
    await assertRefused(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--home', venv, '--gevent', '10'], [
      `gevent = 10 needs gevent in the workers' Python (${path.join(venv, 'bin', 'python3')}): ` +
        'apt-get install python3-gevent, or pip install gevent in the virtualenv',
    ]);
  });
});

describe('check: several problems', () => {
  it('reports every one, in the order start-up meets them, from a file too', async () => {
    const dir = directoryWith({ 'app.ini': '[uwsgi]\nsocket = 3031\nwsgi-file = app.py\nuid = no-such-user-here\nprocesses = 2\n' });
    await assertRefused(['--ini', 'app.ini'], [
      `--wsgi-file app.py: no such file (working directory: ${dir})`,
      "--socket '3031' would be a unix socket file named 3031: for TCP port 3031 write :3031 (for the file, ./3031)",
      "cannot run as --uid no-such-user-here: there is no user 'no-such-user-here' in /etc/passwd (give a name from it, or a number)",
    ], dir);
  });

  it('--check is the same command', async () => {
    const dir = directoryWith();
    const run = await runCommand(['--http', '127.0.0.1:0', '--wsgi-file', 'missing.py', '--check'], dir, { PATH: process.env.PATH });
    assert.deepEqual(run, { code: 1, stdout: '', stderr: `nuwsgi: --wsgi-file missing.py: no such file (working directory: ${dir})\n` });
  });
});
