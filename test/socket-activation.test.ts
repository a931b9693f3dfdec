// Socket activation: started the way systemd starts a service with a .socket unit (the sockets
// bound and listening from descriptor 3 on, LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES set, then
// exec), each listener whose address is an inherited socket's serves on it instead of binding, for
// every kind of listener (HTTP, HTTPS, uwsgi); the others bind as usual; vacuum leaves systemd's socket file alone, and
// the app sees none of the LISTEN_* variables.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { freePort } from './helpers/nginx.ts';
import { needSystemPython, systemPython } from './helpers/peers.ts';
import { fixtureApps } from './helpers/server.ts';
import { testCertificates } from './helpers/certs.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import { launchWithSockets } from './helpers/systemd.ts';
import { encodePacket, nginxVars, uwsgiRequest } from './helpers/uwsgi-client.ts';
import { httpRequest, json, tempDir, waitFor } from './helpers/wire.ts';

/**
 * Sends `packet` to the abstract socket `name` and returns the response. Node pads an abstract
 * name it connects to with NULs to the whole sun_path, which is another name than the one systemd
 * (or this test's launcher) binds; Python connects to the name as it is.
 */
function abstractRequest(name: string, packet: Buffer): Promise<string> {
  const script = `import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect("\\0" + sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("latin-1"))`;
  return new Promise((resolve, reject) => {
    execFile(systemPython, ['-c', script, name, packet.toString('hex')], { timeout: 10_000 }, (err, stdout) => {
      if (err === null) resolve(stdout);
      else reject(err);
    });
  });
}

test('HTTP, unix and abstract uwsgi sockets passed by systemd are served as they are; vacuum leaves them', async (t) => {
  if (!(await needSystemPython(t))) return;
  const dir = tempDir('nuwsgi-activation-');
  const port = await freePort();
  const socket = path.join(dir, 'app.sock');
  const abstract = `nuwsgi-test-activation-${process.pid}`;
  const server = launchWithSockets([
    { spec: `tcp:127.0.0.1:${port}`, name: 'web' },
    { spec: `unix:${socket}`, name: 'app.socket' },
    { spec: `abstract:${abstract}`, name: 'app.socket' },
  ], ['--http', `127.0.0.1:${port}`, '--http', '127.0.0.1:0', '--socket', socket, '--uwsgi-socket', `@${abstract}`,
    '--wsgi-file', path.join(fixtureApps, 'systemd_probe.py'), '--master', '--processes', '2', '--vacuum'], { cwd: dir });
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  t.after(() => { if (server.proc.exitCode === null) server.proc.kill('SIGKILL'); });
  await server.addresses;
  await waitFor(() => /nuwsgi is ready/.test(server.output()), 20_000, `nuwsgi to be ready; output:\n${server.output()}`);

  const log = server.output();
  assert.match(log, new RegExp(`HTTP listening on 127\\.0\\.0\\.1:${port} \\(fd 3 "web" from systemd\\)`));
  assert.match(log, new RegExp(`uwsgi listening on ${socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(fd 4 "app.socket" from systemd\\)`));
  assert.match(log, new RegExp(`uwsgi listening on @${abstract} \\(fd 5 "app.socket" from systemd\\)`));
  const own = /HTTP listening on 127\.0\.0\.1:(\d+)\n/.exec(log);
  assert.ok(own !== null, 'the listener no inherited socket matches is bound by nuwsgi');

  const viaHttp = json<{ systemd: Record<string, string> }>((await httpRequest(`http://127.0.0.1:${port}/`)).body);
  assert.deepEqual(viaHttp.systemd, {}, 'LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES stay out of the app\'s environment');
  assert.equal((await httpRequest(`http://127.0.0.1:${own[1]}/`)).status, 200);
  assert.equal((await uwsgiRequest({ path: socket }, nginxVars({ uri: '/' }))).statusCode, 200);
  assert.match(await abstractRequest(abstract, encodePacket(nginxVars({ uri: '/' }))), /^HTTP\/1\.1 200 OK/);

  server.proc.kill('SIGTERM');
  await exited;
  assert.ok(fs.statSync(socket).isSocket(), 'vacuum does not remove a socket file systemd owns');
  assert.doesNotMatch(server.output(), /VACUUM: unix socket/);
});

test('an inherited socket no listener asks for is left unused, and said so', async (t) => {
  if (!(await needSystemPython(t))) return;
  const dir = tempDir('nuwsgi-activation-');
  const port = await freePort();
  const server = launchWithSockets([{ spec: `tcp:127.0.0.1:${port}`, name: 'other' }],
    ['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'systemd_probe.py')], { cwd: dir });
  t.after(() => { if (server.proc.exitCode === null) server.proc.kill('SIGKILL'); });
  await waitFor(() => /nuwsgi is ready/.test(server.output()), 20_000, 'nuwsgi to be ready');
  assert.match(server.output(), new RegExp(`127\\.0\\.0\\.1:${port} \\(fd 3 "other" from systemd\\) matches no listener of the configuration: not used`));
});

test('an HTTPS listener takes its inherited socket too', async (t) => {
  if (!(await needSystemPython(t))) return;
  const openssl = needOpenssl(t);
  if (openssl === undefined) return;
  const certs = testCertificates(openssl);
  t.after(() => certs.remove());
  const site = await certs.issue('site', { cn: 'localhost' });
  const port = await freePort();
  const server = launchWithSockets([{ spec: `tcp:127.0.0.1:${port}`, name: 'tls' }],
    ['--https', `127.0.0.1:${port},${site.cert},${site.key}`, '--wsgi-file', path.join(fixtureApps, 'systemd_probe.py')], { cwd: certs.dir });
  t.after(() => { if (server.proc.exitCode === null) server.proc.kill('SIGKILL'); });
  await waitFor(() => /nuwsgi is ready/.test(server.output()), 20_000, 'nuwsgi to be ready');
  assert.match(server.output(), new RegExp(`HTTPS listening on 127\\.0\\.0\\.1:${port} \\(fd 3 "tls" from systemd\\)`));
  const page = await httpRequest(`https://localhost:${port}/`, { ca: fs.readFileSync(site.cert) });
  assert.equal(page.status, 200);
});
