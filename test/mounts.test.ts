// --mount, --manage-script-name and --chdir2 over --http: which app answers each request, with which
// SCRIPT_NAME and PATH_INFO (uWSGI's t/runner test_mountpoints), and where the workers run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, runToExit, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, json, stopServer, tempDir } from './helpers/wire.ts';

const probeFile = path.join(fixtureApps, 'mount_probe.py');

interface Probe {
  app: string;
  script_name: string;
  path_info: string;
  cwd: string;
  imported_in: string;
}

async function probe(server: RunningServer, target: string): Promise<Probe> {
  const r = await httpRequest(server.url + target);
  assert.equal(r.status, 200, `${target}: ${r.body.toString()}`);
  return json<Probe>(r.body);
}

/** The test_mountpoints table: three mounts and a default app. */
const MOUNTPOINTS = [
  '--pythonpath', fixtureApps, '--module', 'mount_probe:default',
  '--mount', '/foo=mount_probe:foo', '--mount', '/foobis/=mount_probe:foobis', '--mount', '/footris/=mount_probe:footris',
];

describe('mounts with manage-script-name (test_mountpoints)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', ...MOUNTPOINTS, '--manage-script-name',
      '--mount', `/file=${probeFile}`]);
  });
  after(() => stopServer(server));

  const cases: [target: string, app: string, scriptName: string, pathInfo: string][] = [
    ['/foo', 'foo', '/foo', ''],
    ['/foo/', 'foo', '/foo', '/'],
    ['/foo/resource', 'foo', '/foo', '/resource'],
    ['/foobis', 'foobis', '/foobis/', ''],
    ['/foobis/', 'foobis', '/foobis/', '/'],
    ['/foobis/resource', 'foobis', '/foobis/', '/resource'],
    ['/fooanything', 'default', '', '/fooanything'],
    ['/foobisis/', 'default', '', '/foobisis/'],
    ['/foofighters', 'default', '', '/foofighters'],
  ];
  for (const [target, app, scriptName, pathInfo] of cases) {
    it(`${target} goes to ${app} with SCRIPT_NAME '${scriptName}'`, async () => {
      const p = await probe(server, target);
      assert.deepEqual([p.app, p.script_name, p.path_info], [app, scriptName, pathInfo]);
    });
  }

  it('a mounted file finds the default callable', async () => {
    const p = await probe(server, '/file/x');
    assert.deepEqual([p.app, p.script_name, p.path_info], ['application', '/file', '/x']);
  });

  it('the ready line lists every app', () => {
    assert.match(server.output(), /ready: module 'mount_probe:default', mount '\/foo' = module 'mount_probe:foo', /);
  });
});

describe('mounts without manage-script-name', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', ...MOUNTPOINTS]);
  });
  after(() => stopServer(server));

  // As nginx with `uwsgi_param SCRIPT_NAME ...`: the mountpoint is matched exactly, PATH_INFO is kept.
  const sent: [scriptName: string, app: string][] = [['/foobis/', 'foobis'], ['/foobis', 'default'], ['/foo', 'foo']];
  for (const [scriptName, app] of sent) {
    it(`SCRIPT_NAME '${scriptName}' sent over uwsgi goes to ${app}`, async () => {
      const r = await uwsgiRequest(uwsgiTarget(server), [...nginxVars({ uri: '/foo/x' }), ['SCRIPT_NAME', scriptName]]);
      assert.equal(r.statusCode, 200, r.body.toString());
      const p = json<Probe>(r.body);
      assert.deepEqual([p.app, p.script_name, p.path_info], [app, scriptName, '/foo/x']);
    });
  }

  for (const target of ['/foo', '/foo/resource', '/foobis/', '/footris/x']) {
    it(`${target} goes to the default app, PATH_INFO untouched (nothing sends SCRIPT_NAME)`, async () => {
      const p = await probe(server, target);
      assert.deepEqual([p.app, p.script_name, p.path_info], ['default', '', target]);
    });
  }
});

describe('mounts only, from an ini file', () => {
  let server: RunningServer;
  before(async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'app.ini'), [
      '[uwsgi]',
      'http = 127.0.0.1:0',
      `pythonpath = ${fixtureApps}`,
      'mount = /foo=mount_probe:foo',
      'manage-script-name = true',
    ].join('\n') + '\n');
    server = await startServer(['--ini', path.join(dir, 'app.ini')]);
  });
  after(() => stopServer(server));

  it('serves the mount', async () => {
    const p = await probe(server, '/foo/bar');
    assert.deepEqual([p.app, p.script_name, p.path_info], ['foo', '/foo', '/bar']);
  });

  it('answers 500 where no app serves, and logs why', async () => {
    const r = await httpRequest(server.url + '/elsewhere');
    assert.equal(r.status, 500);
    await server.waitForOutput(/no python application found for SCRIPT_NAME '' \(PATH_INFO '\/elsewhere'\)/);
  });
});

describe('chdir2', () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    dir = fs.realpathSync(tempDir());
    server = await startServer(['--http', '127.0.0.1:0', '--chdir', fixtureApps, '--module', 'mount_probe:default',
      '--chdir2', dir]);
  });
  after(() => stopServer(server));

  it('the app is imported from --chdir, then runs in --chdir2', async () => {
    const p = await probe(server, '/');
    assert.equal(p.imported_in, fs.realpathSync(fixtureApps));
    assert.equal(p.cwd, dir);
  });
});

describe('mount startup errors', () => {
  it('a missing mounted file stops the start', async () => {
    const r = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', probeFile, '--mount', '/x=missing.py']);
    assert.equal(r.code, 22);
    assert.match(r.output, /--mount \/x=missing\.py: no such file/);
  });

  it('a missing --chdir2 directory stops the start', async () => {
    const r = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', probeFile, '--chdir2', '/nonexistent-chdir2']);
    assert.equal(r.code, 22);
    assert.match(r.output, /--chdir2 \/nonexistent-chdir2: No such file or directory/);
  });
});
