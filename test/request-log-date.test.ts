// log-date and log-prefix prefix the master's own lines ("DATE - ", "PREFIX - "), as uWSGI's do; the
// request lines are not prefixed (uWSGI writes them apart from its date), and log-prefix wins.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it, test } from 'node:test';
import { linePrefix } from '../src/master/request-log.ts';
import { strftime } from '../src/observe/strftime.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'log_probe.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

describe('strftime', () => {
  const at = new Date(2026, 0, 5, 7, 8, 9).getTime(); // a Monday, local time
  const cases: Array<[string, string]> = [
    ['%Y-%m-%d %H:%M:%S', '2026-01-05 07:08:09'], ['%F %T', '2026-01-05 07:08:09'], ['%a %A %b %B', 'Mon Monday Jan January'],
    ['%e|%d|%j|%y', ' 5|05|005|26'], ['%I %l %p', '07  7 AM'], ['%D %R', '01/05/26 07:08'], ['%u %w', '1 1'],
    ['%c', 'Mon Jan  5 07:08:09 2026'], ['100%% %q', '100% %q'], ['%s', String(Math.floor(at / 1000))],
  ];
  for (const [format, expected] of cases) it(format, () => assert.equal(strftime(format, at), expected));
  it('%z is the local offset', () => assert.match(strftime('%z', at), /^[+-]\d{4}$/));
});

describe('the prefix', () => {
  it('is ctime\'s date without a format, the strftime with one, log-prefix instead of either, none by default', () => {
    const at = new Date(2026, 0, 5, 7, 8, 9).getTime();
    assert.equal(linePrefix({ logDate: '', logPrefix: undefined })?.(at), 'Mon Jan  5 07:08:09 2026 - ');
    assert.equal(linePrefix({ logDate: '%Y/%m/%d', logPrefix: undefined })?.(at), '2026/01/05 - ');
    assert.equal(linePrefix({ logDate: '%Y', logPrefix: 'app' })?.(at), 'app - ');
    assert.equal(linePrefix({ logDate: undefined, logPrefix: undefined }), null);
  });
});

test('log-date prefixes the master\'s lines, not the request lines', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--log-date=%Y-%m-%d %H:%M:%S']);
  servers.push(server);
  await httpRequest(`${server.url}/dated`);
  await server.waitForOutput(/GET \/dated =>/);
  const lines = server.output().split('\n').filter((l) => l !== '');
  assert.match(lines.find((l) => l.includes('*** Starting nuwsgi'))!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - \*\*\* Starting nuwsgi/);
  assert.match(lines.find((l) => l.includes('spawned worker 1'))!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - spawned worker 1/);
  assert.match(lines.find((l) => l.includes('GET /dated'))!, /^\[pid: \d+\|app: 0\|req: 1\/1\] /);
});

test('log-prefix prefixes the master\'s lines', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--log-prefix', '[myapp]', '--log-date']);
  servers.push(server);
  await httpRequest(`${server.url}/prefixed`);
  await server.waitForOutput(/GET \/prefixed =>/);
  const lines = server.output().split('\n').filter((l) => l !== '');
  assert.match(lines.find((l) => l.includes('*** Starting nuwsgi'))!, /^\[myapp\] - \*\*\* Starting nuwsgi/);
  assert.match(lines.find((l) => l.includes('GET /prefixed'))!, /^\[pid: /);
});
