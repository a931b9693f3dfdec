// The default request line against Debian's uWSGI 2.0 (the oracle, test/helpers/uwsgi-oracle.ts): the
// same uwsgi requests to the same fixture app on each one's uwsgi socket, compared field by field
// (all but the pids, the date, the duration and the switches). Skips without uwsgi locally; fails under CI=true.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fixtureApps, startServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';
import { needUwsgi, startUwsgiOracle } from './helpers/uwsgi-oracle.ts';
import { stopServer, tempDir } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'log_probe.py');

const LINE = new RegExp(
  '^\\[pid: (?<pid>\\d+)\\|app: (?<app>-?\\d+)\\|req: (?<req>\\d+)/(?<total>\\d+)\\] (?<addr>\\S*) \\((?<user>[^)]*)\\) ' +
  '\\{(?<vars>\\d+) vars in (?<varBytes>\\d+) bytes\\} \\[(?<date>[^\\]]{24})\\] (?<method>\\S+) (?<uri>\\S+) => ' +
  'generated (?<size>\\d+) bytes in (?<time>\\d+) (?<unit>msecs|micros) \\((?<proto>\\S+) (?<status>\\d+)\\) ' +
  '(?<headers>\\d+) headers in (?<headerBytes>\\d+) bytes \\((?<switches>\\d+) switches on core (?<core>\\d+)\\)$', 'm');

// the pids, the date and the duration differ by nature; nuwsgi always says 1 switch (uWSGI counts
// its async switches, 2 for some responses of a synchronous worker: docs/compat.md)
const IGNORED = new Set(['pid', 'date', 'time', 'switches']);

/** The fields of the request line for `uri` in `output`. */
function fields(output: string, uri: string): Record<string, string> {
  const line = output.split('\n').find((l) => l.includes(` ${uri} => `));
  assert.ok(line !== undefined, `no request line for ${uri} in:\n${output}`);
  const match = LINE.exec(line);
  assert.ok(match?.groups !== undefined, `not uWSGI's default line: ${line}`);
  return Object.fromEntries(Object.entries(match.groups).filter(([name]) => !IGNORED.has(name)));
}

const REQUESTS = [
  { uri: '/plain?x=1' },
  { uri: '/status/404' },
  { uri: '/bytes/5000' },
  { uri: '/empty', method: 'HEAD' },
  { uri: '/status/503', headers: [['Host', 'example.com'], ['User-Agent', 'oracle/1'], ['X-Something', 'a b c']] as Array<[string, string]> },
];

async function send(target: UwsgiTarget, request: (typeof REQUESTS)[number]): Promise<void> {
  // SCRIPT_NAME: the validator refuses an environ without it, and uWSGI adds none (uwsgi-oracle.ts)
  const vars = [...nginxVars({ uri: request.uri, method: request.method ?? 'GET', headers: request.headers }), ['SCRIPT_NAME', ''] as [string, string]];
  await uwsgiRequest(target, vars);
}

test('the default request line matches uWSGI\'s field by field', async (t) => {
  const uwsgi = needUwsgi(t);
  if (uwsgi === undefined) return;
  const dir = tempDir();
  const oracle = await startUwsgiOracle(uwsgi, { socket: path.join(dir, 'uwsgi.sock'), wsgiFile: app });
  t.after(() => oracle.stop());
  const server = await startServer(['--socket', path.join(dir, 'nuwsgi.sock'), '--wsgi-file', app, '--master']);
  t.after(() => stopServer(server));

  for (const request of REQUESTS) {
    await send({ path: oracle.socket }, request);
    await send(uwsgiTarget(server), request);
  }
  const last = REQUESTS[REQUESTS.length - 1].uri;
  await oracle.waitForOutput(new RegExp(` ${last} => `));
  await server.waitForOutput(new RegExp(` ${last} => `));
  for (const { uri } of REQUESTS) {
    assert.deepEqual(fields(server.output(), uri), fields(oracle.output(), uri), uri);
  }
});
