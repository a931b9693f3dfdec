// fork() copies only the thread that calls it: an app that starts a thread at import gets a warning
// from the zygote (as Python 3.12 warns), and its forked workers do not have the thread. With
// lazy-apps every worker imports the app, and has it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, json, stopServer, tempDir } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

const WARNING = /WARNING: the app started 1 thread at import \('import-time-poller'\): the workers are forked from this process and have none of them\. Start them in a function decorated with @postfork \(or set uwsgi\.post_fork_hook\), or use lazy-apps/;

for (const lazy of [false, true]) {
  test(`a thread started at import${lazy ? ', with lazy-apps: no warning, every worker has it' : ': a warning, and the workers do not have it'}`, async () => {
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'zygote_probe.py'),
      '--master', '-p', '2', ...(lazy ? ['--lazy-apps'] : [])],
    { env: { ZYGOTE_PROBE_LOG: path.join(tempDir(), 'imports'), ZYGOTE_PROBE_THREAD: '1' } });
    servers.push(server);
    const { threads } = json<{ threads: string[] }>((await httpRequest(server.url)).body);
    if (lazy) {
      assert.doesNotMatch(server.output(), /WARNING: the app started/);
      assert.ok(threads.includes('import-time-poller'), String(threads));
    } else {
      assert.equal(server.output().match(new RegExp(WARNING, 'g'))?.length, 1, server.output());
      assert.ok(!threads.includes('import-time-poller'), String(threads));
    }
  });
}
