// SIGTSTP pauses the workers' accepting on uwsgi sockets too: a connection made meanwhile waits in
// the socket's backlog, unanswered, and is served once SIGTSTP comes again (uWSGI's pause).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { sleep, stopServer, within } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

for (const mode of [[], ['--threads', '2']]) {
  test(`pause and resume on a uwsgi socket ${mode.join(' ')}`.trim(), async () => {
    const server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'supervised.py'),
      '-p', '1', ...mode]);
    servers.push(server);
    const target = uwsgiTarget(server);
    assert.equal((await uwsgiRequest(target, nginxVars({ uri: '/?id=before' }))).statusCode, 200);

    server.proc.kill('SIGTSTP');
    await server.waitForOutput(/\*\*\* PAUSE/);
    await sleep(300); // a worker waiting in accept() sees the PAUSE within 20 ms
    const waiting = uwsgiRequest(target, nginxVars({ uri: '/?id=paused' }), '', { timeoutMs: 20_000 });
    assert.equal(await within(waiting, 1_000), null, 'a connection is answered while paused');
    assert.doesNotMatch(server.output(), /request paused started/);

    server.proc.kill('SIGTSTP');
    await server.waitForOutput(/\*\*\* RESUME/);
    const r = await waiting;
    assert.equal(r.statusCode, 200);
    // the worker's wsgi.errors line comes through the master, after the response it sent itself
    await server.waitForOutput(/request paused started/, 5_000);
  });
}
