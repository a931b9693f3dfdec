// Several hosts behind one load balancer (docs/deploy.md): two nuwsgi instances on TCP uwsgi
// sockets in one nginx `upstream` with max_fails/fail_timeout, under a bounded loopback load;
// each instance is reloaded in turn (SIGHUP, what `systemctl reload` sends), and not one request
// fails: a reload starts the new workers before the old ones stop taking requests, on the same
// listening socket, so nginx never sees an instance go away.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startLoad } from './helpers/load.ts';
import { freePort, needNginx, startNginx, startNuwsgiSocket, uwsgiSite } from './helpers/nginx.ts';
import { fixtureApps, type RunningServer } from './helpers/server.ts';
import { stopServer, tempDir, waitFor } from './helpers/wire.ts';

test('two instances behind one nginx upstream, each reloaded in turn under load: 0 failed requests', { timeout: 120_000 }, async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const dir = tempDir('nuwsgi-rolling-');
  const ports = [await freePort(), await freePort()];
  const instances: RunningServer[] = [];
  t.after(async () => { await Promise.all(instances.map((server) => stopServer(server))); });
  for (const port of ports) {
    instances.push(await startNuwsgiSocket(`127.0.0.1:${port}`,
      ['--wsgi-file', path.join(fixtureApps, 'supervised.py'), '--master', '--processes', '2']));
  }
  const port = await freePort();
  const nginx = await startNginx(nginxPath, {
    dir, port,
    http: `    upstream app {
${ports.map((p) => `        server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;`).join('\n')}
    }

${uwsgiSite({ port, pass: 'app', location: 'uwsgi_next_upstream error timeout;' })}`,
  });
  t.after(async () => { await nginx.stop(); });

  const load = startLoad({ connections: 4, url: () => `${nginx.url}/`, maxRequests: 20_000, maxMs: 60_000 });
  try {
    await waitFor(() => load.tally.ok > 200, 20_000, 'the load to get going');
    for (const instance of instances) {
      instance.proc.kill('SIGHUP');
      await instance.waitForOutput(/reload complete/, 30_000);
      const okBefore = load.tally.ok;
      await waitFor(() => load.tally.ok > okBefore + 100, 20_000, 'requests to flow after the reload');
    }
  } finally {
    await load.stop();
  }
  assert.deepEqual(load.tally.failed, []);
  assert.ok(load.tally.ok > 400, `${load.tally.ok} requests served`);
  assert.doesNotMatch(nginx.errorLog(), /upstream .*(failed|refused|prematurely)/);
});
