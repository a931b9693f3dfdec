// py-autoreload: a worker whose modules changed on disk is replaced by one that imports the new
// code. It finishes its requests first, and requests that arrive meanwhile wait in the master, so
// none fails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer, tempDir } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

/** Writes the module the fixture app imports, with an mtime the reloader cannot miss. */
function writeVersion(file: string, version: string, mtimeSeconds: number): void {
  fs.writeFileSync(file, `VERSION = '${version}'\n`);
  fs.utimesSync(file, mtimeSeconds, mtimeSeconds);
}

for (const extra of [[], ['--threads', '2']]) {
  test(`py-autoreload serves the new code after a module changed, without failing a request ${extra.join(' ')}`, async () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(fixtureApps, 'reports_version.py'), path.join(dir, 'app.py'));
    const versionFile = path.join(dir, 'app_version.py');
    const startedAt = Math.floor(Date.now() / 1000);
    writeVersion(versionFile, 'one', startedAt - 60);
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(dir, 'app.py'),
      '--pythonpath', dir, '--py-autoreload', '1', ...extra]);
    servers.push(server);
    assert.equal((await httpRequest(server.url)).body.toString(), 'one');

    writeVersion(versionFile, 'two', startedAt);
    // Two clients keep asking until the new version answers (at most 15 s or 2000 requests).
    const deadline = Date.now() + 15_000;
    const seen: string[] = [];
    let sent = 0;
    const client = async () => {
      while (!seen.includes('two') && Date.now() < deadline && sent < 2000) {
        sent++;
        const r = await httpRequest(server.url, { timeoutMs: 10_000 });
        assert.equal(r.status, 200, `request ${sent}: ${r.body.toString()}`);
        seen.push(r.body.toString());
      }
    };
    await Promise.all([client(), client()]);
    assert.ok(seen.includes('two'), `never saw the new version in ${seen.length} responses`);
    assert.deepEqual(seen.filter((version) => version !== 'one' && version !== 'two'), []);

    // the new worker can answer before the master's log (written every few ms) has the line
    await server.waitForOutput(/reload complete: 1 new workers serving/);
    const output = server.output();
    assert.match(output, /\[uwsgi-python-reloader\] module\/file \S*app_version\.py has been modified/);
    assert.match(output, /worker 1 \(pid: \d+\) has modified code \(py-autoreload\): graceful reload/);
    assert.doesNotMatch(output, /DAMN|respawning too fast/);
  });
}
