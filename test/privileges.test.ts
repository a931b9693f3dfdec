// --uid and --gid: the master binds its sockets as root, then becomes the user for good, and so do
// the workers it spawns afterwards. Without --gid, a user's own primary group replaces root's.
// Only meaningful when the tests run as root.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureApps, startServer } from './helpers/server.ts';
import { stopServer, tempDir, workerPids } from './helpers/wire.ts';
import { nginxVars, uwsgiRequest } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');
const skip = process.getuid?.() !== 0 && 'needs root';
/** The workers must find a python3 that the user may run (not one under /root). */
const env = { PATH: '/usr/bin:/bin' };

interface Identity {
  uid: string;
  gid: string;
  groups: string;
}

function identity(pid: number): Identity {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)![1]!.trim().split(/\s+/).join(' ');
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups') };
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A directory the dropped user can write to, so that vacuum works after the switch. */
function openDir(): string {
  const dir = tempDir();
  fs.chmodSync(dir, 0o777);
  dirs.push(dir);
  return dir;
}

describe('--uid and --gid', { skip }, () => {
  it('--uid nobody --gid nogroup: master and workers run as nobody, sockets bound before', async () => {
    const file = path.join(openDir(), 'app.sock');
    const server = await startServer(['--socket', file, '--chmod-socket=660', '--chown-socket', 'nobody:nogroup', '--vacuum',
      '--uid', 'nobody', '--gid', 'nogroup', '--wsgi-file', echoApp, '-p', '2'], { env });
    try {
      const everyone = 'nobody (65534) in group nogroup (65534) only';
      const expected: Identity = { uid: '65534 65534 65534 65534', gid: '65534 65534 65534 65534', groups: '65534' };
      assert.deepEqual(identity(server.pid), expected, `master: ${everyone}`);
      for (const { pid } of workerPids(server.output())) assert.deepEqual(identity(pid), expected, `worker ${pid}: ${everyone}`);
      assert.match(server.output(), /setgid\(\) to 65534\nsetuid\(\) to 65534\n/);
      assert.doesNotMatch(server.output(), /running nuwsgi as root/);
      const r = await uwsgiRequest({ path: file }, nginxVars({ uri: '/as-nobody' }));
      assert.equal(r.statusCode, 200);
    } finally {
      await stopServer(server);
    }
    assert.equal(fs.existsSync(file), false, 'vacuum removed the socket as nobody');
  });

  it('--uid 65534 alone also takes the user’s primary group, never keeping root’s', async () => {
    const file = path.join(openDir(), 'app.sock');
    const server = await startServer(['--socket', file, '--uid', '65534', '--wsgi-file', echoApp], { env });
    try {
      const { uid, gid, groups } = identity(server.pid);
      assert.equal(uid, '65534 65534 65534 65534');
      assert.equal(gid, '65534 65534 65534 65534');
      assert.ok(!groups.split(' ').includes('0'), `supplementary groups: ${groups}`);
    } finally {
      await stopServer(server);
    }
  });

  it('--gid alone changes only the group, and drops root’s supplementary groups', async () => {
    const file = path.join(openDir(), 'app.sock');
    const server = await startServer(['--socket', file, '--gid', 'nogroup', '--wsgi-file', echoApp], { env });
    try {
      assert.deepEqual(identity(server.pid), { uid: '0 0 0 0', gid: '65534 65534 65534 65534', groups: '65534' });
    } finally {
      await stopServer(server);
    }
  });
});

describe('running as root without --uid', { skip }, () => {
  it("prints uWSGI's warning", async () => {
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp]);
    try {
      assert.match(server.output(), /\*\*\* WARNING: you are running nuwsgi as root !!! \(use the --uid flag\) \*\*\*/);
    } finally {
      await stopServer(server);
    }
  });
});
