// log-encoder json: every line of the log is one JSON object (docs/compat.md, "JSON log"): the
// requests, the master's lines and events (spawn, exit with its cause, reload, harakiri, recycle),
// and the workers' stdout and stderr as message objects.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseCommandLine } from '../src/config/index.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, sleep, stopServer, waitFor } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'log_probe.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

/** Every line of the output, parsed: a line that is not JSON fails the test. */
function objects(server: RunningServer): Array<Record<string, unknown>> {
  return server.output().split('\n').filter((line) => line !== '').map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON line: ${JSON.stringify(line)}\n${server.output()}`);
    }
  });
}

test('requests, master lines, events and worker output are JSON objects, one a line', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', app,
    '--log-encoder', 'json', '--max-requests', '3', '--min-worker-lifetime', '0', '--log-date']);
  servers.push(server);
  const weird = '/q?x="quoted"\\back\tslash';
  await httpRequest(`${server.url}/print`);
  await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: weird }));
  await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/status/503' }));
  await waitFor(() => objects(server).some((o) => o.type === 'event' && o.event === 'recycle'), 15_000, 'a recycle event');
  await waitFor(() => objects(server).some((o) => o.type === 'event' && o.event === 'exit'), 15_000, 'an exit event');
  await sleep(100);
  const all = objects(server);

  const requests = all.filter((o) => o.type === 'request');
  assert.equal(requests.length, 3);
  const fields = ['type', 'time', 'pid', 'worker', 'core', 'req', 'total', 'addr', 'method', 'uri', 'proto', 'status',
    'size', 'headers', 'header_bytes', 'vars', 'var_bytes', 'micros'];
  for (const r of requests) assert.deepEqual(Object.keys(r), fields);
  assert.deepEqual(requests.map((r) => [r.uri, r.status, r.size]),
    [['/print', 200, 3], [weird, 200, 3], ['/status/503', 503, 11]]);
  assert.equal(requests[2].worker, 1);
  assert.match(String(requests[0].time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const events = all.filter((o) => o.type === 'event').map((o) => o.event);
  assert.ok(events.includes('spawn') && events.includes('ready') && events.includes('recycle') && events.includes('exit'), events.join());
  const exit = all.find((o) => o.type === 'event' && o.event === 'exit')!;
  assert.equal(exit.cause, 'stopped');
  assert.equal(exit.worker, 1);

  const master = all.filter((o) => o.type === 'log');
  assert.ok(master.some((o) => /\*\*\* Starting nuwsgi/.test(String(o.msg))));
  assert.ok(master.every((o) => !String(o.msg).includes(' - ***')), 'log-date does not prefix the JSON messages');

  const output = all.filter((o) => o.type === 'worker-output');
  assert.ok(output.some((o) => o.stream === 'stdout' && o.msg === 'a line on stdout "quoted"'), JSON.stringify(output));
  assert.ok(output.some((o) => o.stream === 'stderr' && o.msg === 'a line on stderr'));
});

test('a log-format goes into the request object as msg', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--log-encoder', 'json',
    '--log-format', '%(method) %(uri) "%(uagent)"']);
  servers.push(server);
  await httpRequest(`${server.url}/x`, { headers: { 'User-Agent': 'a "b" c' } });
  await waitFor(() => objects(server).some((o) => o.type === 'request'), 10_000, 'the request');
  const request = objects(server).find((o) => o.type === 'request')!;
  assert.equal(request.msg, 'GET /x "a "b" c"');
});

test('encoders other than json are refused at load', () => {
  assert.throws(() => parseCommandLine(['--http', ':1', '--wsgi-file', 'a.py', '--log-encoder', 'gzip'], {}), /gzip encoder is not supported/);
  assert.throws(() => parseCommandLine(['--http', ':1', '--wsgi-file', 'a.py', '--log-encoder', 'json {"msg":"${msg}"}'], {}),
    /json encoder with a template is not supported/);
  assert.throws(() => parseCommandLine(['--http', ':1', '--wsgi-file', 'a.py', '--log-encoder', 'prefix:req hello'], {}), /not supported/);
});
