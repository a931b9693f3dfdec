// file-serve-mode: the file is named in X-Sendfile or X-Accel-Redirect for the front server to
// send, on both listeners, and the body stays empty.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { viaHttp, viaUwsgi } from './helpers/static-site.ts';
import { uwsgiTarget } from './helpers/uwsgi-client.ts';
import { header, stopServer, tempDir } from './helpers/wire.ts';

describe('file-serve-mode', () => {
  const servers: RunningServer[] = [];
  after(async () => {
    for (const server of servers) await stopServer(server);
  });

  for (const [mode, name] of [['x-sendfile', 'X-Sendfile'], ['nginx', 'X-Accel-Redirect']]) {
    it(`${mode} names the real path in ${name}`, async () => {
      const dir = tempDir('nuwsgi-serve-mode-');
      fs.mkdirSync(path.join(dir, 'static'));
      fs.writeFileSync(path.join(dir, 'static', 'report.pdf'), 'pdf bytes');
      const server = await startServer(['--http', '127.0.0.1:0', '--uwsgi-socket', path.join(dir, 'u.sock'),
        '--wsgi-file', path.join(fixtureApps, 'static_fallback.py'), '--static-map', `/files=${dir}/static`, '--file-serve-mode', mode]);
      servers.push(server);
      for (const via of [viaHttp(server.port), viaUwsgi(uwsgiTarget(server))]) {
        const r = await via.send({ target: '/files/report.pdf' });
        assert.equal(r.statusCode, 200, via.name);
        assert.equal(header(r, name), fs.realpathSync(path.join(dir, 'static', 'report.pdf')), via.name);
        assert.equal(header(r, 'Content-Type'), 'application/pdf', via.name);
        assert.equal(r.body.length, 0, `${via.name}: no body`);
      }
    });
  }
});
