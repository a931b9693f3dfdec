// Unix socket files: their mode (--chmod-socket) and owner (--chown-socket), what happens to a file
// already at the path (a stale socket is replaced, a live one or a non-socket is refused), and
// --vacuum (the file is removed on exit only if it is still ours; without it, it stays).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureApps, runToExit, startServer } from './helpers/server.ts';
import { stopServer, tempDir } from './helpers/wire.ts';
import { nginxVars, uwsgiRequest } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');
const isRoot = process.getuid?.() === 0;

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs nuwsgi on a unix socket at `file` with `extra` options, checks it serves, stops it; returns its log. */
async function serveOnce(file: string, extra: string[] = []): Promise<string> {
  const server = await startServer(['--socket', file, '--wsgi-file', echoApp, ...extra]);
  try {
    const r = await uwsgiRequest({ path: file }, nginxVars({ uri: '/unix' }));
    assert.equal(r.statusCode, 200);
  } finally {
    await stopServer(server);
  }
  return server.output();
}

/** A server on `file` that is not nuwsgi (the probe's connections are reset: ignored). */
async function otherServer(file: string): Promise<net.Server> {
  const other = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end('other server');
  });
  await new Promise<void>((resolve) => other.listen(file, resolve));
  return other;
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** A socket file nothing listens on, as a server killed with SIGKILL leaves behind. */
function makeStaleSocket(file: string): void {
  execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', file]);
  assert.ok(fs.statSync(file).isSocket());
}

function connectable(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: file });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

describe('--chmod-socket and --chown-socket', () => {
  it('--chmod-socket=660 gives the socket mode 660', async () => {
    const file = path.join(freshDir(), 'app.sock');
    const server = await startServer(['--socket', file, '--chmod-socket=660', '--wsgi-file', echoApp]);
    try {
      assert.equal(mode(file), 0o660);
    } finally {
      await stopServer(server);
    }
  });

  for (const spelling of ['--chmod-socket', '-C', '--chmod', '--chmod-socket=1']) {
    it(`${spelling} alone gives mode 666`, async () => {
      const file = path.join(freshDir(), 'app.sock');
      const server = await startServer(['--socket', file, spelling, '--wsgi-file', echoApp]);
      try {
        assert.equal(mode(file), 0o666);
      } finally {
        await stopServer(server);
      }
    });
  }

  it('without --chmod-socket the mode comes from the umask', async () => {
    const file = path.join(freshDir(), 'app.sock');
    const server = await startServer(['--socket', file, '--wsgi-file', echoApp]);
    try {
      assert.equal(mode(file), 0o777 & ~process.umask());
    } finally {
      await stopServer(server);
    }
  });

  it('never leaves the temporary name it binds first', async () => {
    const dir = freshDir();
    await serveOnce(path.join(dir, 'app.sock'), ['--chmod-socket=600']);
    assert.deepEqual(fs.readdirSync(dir), ['app.sock']);
  });

  it('--chown-socket nobody:nogroup (names) and 65534:65534 (numbers) give the socket that owner', { skip: !isRoot && 'needs root' }, async () => {
    for (const owner of ['nobody:nogroup', '65534:65534']) {
      const file = path.join(freshDir(), 'app.sock');
      const server = await startServer(['--socket', file, '--chown-socket', owner, '--wsgi-file', echoApp]);
      try {
        const stats = fs.statSync(file);
        assert.equal(stats.uid, 65534, owner);
        assert.equal(stats.gid, 65534, owner);
      } finally {
        await stopServer(server);
      }
    }
  });

  it('--chown-socket with an unknown user is a startup error naming it', async () => {
    const file = path.join(freshDir(), 'app.sock');
    const result = await runToExit(['--socket', file, '--chown-socket', 'no-such-user-here', '--wsgi-file', echoApp]);
    assert.equal(result.code, 1);
    assert.match(result.output, /--chown-socket no-such-user-here: there is no user 'no-such-user-here' in \/etc\/passwd/);
  });
});

describe('a file already at the socket path', () => {
  it('a stale socket (nothing answers) is replaced, with a log line', async () => {
    const file = path.join(freshDir(), 'app.sock');
    makeStaleSocket(file);
    const output = await serveOnce(file);
    assert.ok(output.includes(`replacing stale unix socket ${file}`), output);
  });

  it('a live socket (another server answers) is a startup error, and is left alone', async () => {
    const file = path.join(freshDir(), 'app.sock');
    const other = await otherServer(file);
    try {
      const result = await runToExit(['--socket', file, '--wsgi-file', echoApp]);
      assert.equal(result.code, 1);
      assert.match(result.output, new RegExp(`cannot listen on --socket ${file}: another server is listening on ${file}`));
      assert.equal(await connectable(file), true, 'the other server still answers');
    } finally {
      other.close();
    }
  });

  it('a file that is not a socket is a startup error, and is not deleted', async () => {
    const file = path.join(freshDir(), 'app.sock');
    fs.writeFileSync(file, 'precious');
    const result = await runToExit(['--socket', file, '--wsgi-file', echoApp]);
    assert.equal(result.code, 1);
    assert.match(result.output, /exists and is not a socket: remove it or choose another path/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'precious');
  });

  it('a path longer than a unix socket address holds is a startup error', async () => {
    const file = path.join(freshDir(), 'x'.repeat(120) + '.sock');
    const result = await runToExit(['--socket', file, '--wsgi-file', echoApp]);
    assert.equal(result.code, 1);
    assert.match(result.output, /more than the 107 a unix socket address holds/);
  });

  it('a path in a directory that does not exist is a startup error naming the directory', async () => {
    const dir = path.join(freshDir(), 'run');
    const result = await runToExit(['--socket', path.join(dir, 'app.sock'), '--wsgi-file', echoApp]);
    assert.equal(result.code, 1);
    assert.ok(result.output.includes(`there is no directory ${dir} for the socket: create it, or choose another path`), result.output);
  });
});

describe('--vacuum', () => {
  it('removes the socket file on exit, with a log line', async () => {
    const file = path.join(freshDir(), 'app.sock');
    const output = await serveOnce(file, ['--vacuum']);
    assert.equal(fs.existsSync(file), false);
    assert.ok(output.includes(`VACUUM: unix socket ${file} removed.`), output);
  });

  it('without it the file stays (stale), and the next start replaces it', async () => {
    const file = path.join(freshDir(), 'app.sock');
    await serveOnce(file);
    assert.equal(fs.statSync(file).isSocket(), true);
    assert.equal(await connectable(file), false);
    await serveOnce(file);
  });

  it('leaves a socket that another server put at the path meanwhile', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'app.sock');
    const server = await startServer(['--socket', file, '--vacuum', '--wsgi-file', echoApp]);
    const otherFile = path.join(dir, 'other.sock');
    const other = await otherServer(otherFile);
    try {
      fs.renameSync(otherFile, file);
      const { ino } = fs.statSync(file);
      await stopServer(server);
      assert.equal(fs.statSync(file).ino, ino, 'the other server’s socket is still there');
      assert.match(server.output(), /VACUUM: .* was replaced by another server's socket: left in place/);
      assert.equal(await connectable(file), true);
    } finally {
      await stopServer(server);
      other.close();
    }
  });
});
