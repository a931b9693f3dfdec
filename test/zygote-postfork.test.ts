// uWSGI runs post_fork_hook (python3-uwsgidecorators' @postfork) in each worker after the fork:
// with the zygote, it runs once in every forked worker, never in the zygote, and once in a
// replacement forked after a crash.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { decoratorsVenv } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { stopServer, tempDir, waitFor, workerPids, zygotePids } from './helpers/wire.ts';

const servers: RunningServer[] = [];
after(async () => { for (const server of servers) await stopServer(server); });

/** "postfork" lines of uwsgi_decorators.py's log: [worker id, pid]. */
function postforks(log: string): Array<[number, number]> {
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' '))
    .filter(([event]) => event === 'postfork').map(([, id, pid]) => [Number(id), Number(pid)]);
}

test('@postfork runs once in each forked worker and in a forked replacement, never in the zygote', async (t) => {
  const venv = await decoratorsVenv(t);
  if (venv === undefined) return;
  const log = path.join(tempDir(), 'hooks');
  const server = await startServer(['--http', '127.0.0.1:0', '--home', venv, '--wsgi-file', path.join(fixtureApps, 'uwsgi_decorators.py'),
    '--master', '--processes', '2'], { env: { UWSGI_PROBE_LOG: log } });
  servers.push(server);
  const [zygote] = zygotePids(server.output());
  const workers = workerPids(server.output());
  await waitFor(() => postforks(log).length === 2, 5000, 'both workers to run @postfork');
  assert.deepEqual(postforks(log).sort(), workers.map((w): [number, number] => [w.id, w.pid]).sort());
  assert.ok(!postforks(log).some(([, pid]) => pid === zygote));

  process.kill(workers[1].pid, 'SIGKILL');
  await waitFor(() => workerPids(server.output()).length === 3, 10_000, 'the replacement');
  const replacement = workerPids(server.output())[2];
  await server.waitForOutput(new RegExp(`worker 2 \\(pid: ${replacement.pid}\\) ready`));
  await waitFor(() => postforks(log).length === 3, 5000, 'the replacement to run @postfork');
  assert.deepEqual(postforks(log)[2], [2, replacement.pid]);
  // @postfork(2) is for worker 2 only: the first one, then its replacement
  const only2 = fs.readFileSync(log, 'utf8').trim().split('\n').filter((line) => line.startsWith('postfork(2) '));
  assert.deepEqual(only2, [`postfork(2) 2 ${workers[1].pid}`, `postfork(2) 2 ${replacement.pid}`]);
});
