// disable-logging with log-4xx, log-5xx, log-slow, log-big and log-zero: only the requests matching
// one of them are logged, as uWSGI's log_request does; without disable-logging every request is.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it, test } from 'node:test';
import type { ServedRequest } from '../src/channel/records.ts';
import { parseCommandLine } from '../src/config/index.ts';
import type { Config } from '../src/config/config.ts';
import { logFilter, logsRequests, requestLogObserver } from '../src/observe/request-log.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, sleep, stopServer } from './helpers/wire.ts';

function config(argv: string[]): Config {
  const command = parseCommandLine(['--http', ':8000', '--wsgi-file', 'a.py', ...argv], {});
  assert.equal(command.kind, 'serve');
  return command.config;
}

function served(fields: Partial<ServedRequest>): ServedRequest {
  return {
    status: 200, core: 0, headerCount: 1, varCount: 2, headerBytes: 10, varBytes: 10, bodyBytes: 10, startedMs: 0,
    micros: 1000, remoteAddr: '', method: 'GET', uri: '/', protocol: 'HTTP/1.1', ...fields,
  };
}

describe('the filters', () => {
  it('log everything without disable-logging, nothing with it alone', () => {
    assert.equal(logFilter(config([])), null);
    assert.equal(logsRequests(config(['-L'])), false);
    assert.equal(requestLogObserver(config(['-L']), () => undefined), undefined);
  });

  const cases: Array<[string[], Partial<ServedRequest>, boolean]> = [
    [['--log-4xx'], { status: 404 }, true], [['--log-4xx'], { status: 500 }, false], [['--log-4xx'], { status: 200 }, false],
    [['--log-5xx'], { status: 503 }, true], [['--log-5xx'], { status: 499 }, false],
    [['--log-slow', '100'], { micros: 100_000 }, true], [['--log-slow', '100'], { micros: 99_999 }, false],
    [['--log-big', '1000'], { bodyBytes: 1000 }, true], [['--log-big', '1000'], { bodyBytes: 999 }, false],
    [['--log-zero'], { bodyBytes: 0 }, true], [['--log-zero'], { bodyBytes: 1 }, false],
    [['--log-4xx', '--log-zero'], { status: 200, bodyBytes: 0 }, true],
  ];
  for (const [argv, fields, logged] of cases) {
    it(`-L ${argv.join(' ')}: ${JSON.stringify(fields)} ${logged ? 'is' : 'is not'} logged`, () => {
      const filter = logFilter(config(['-L', ...argv]));
      assert.ok(filter !== null);
      assert.equal(filter(served(fields)), logged);
      assert.equal(logsRequests(config(['-L', ...argv])), true);
    });
  }
});

const app = path.join(fixtureApps, 'log_probe.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

test('with disable-logging, the workers and the master log only the matching requests', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', app, '-L',
    '--log-4xx', '--log-slow', '300', '--log-big', '5000', '--log-zero']);
  servers.push(server);
  const target = uwsgiTarget(server);
  for (const uri of ['/plain', '/status/404', '/status/500', '/slow/400', '/bytes/6000', '/bytes/10', '/empty']) {
    await httpRequest(`${server.url}${uri}?http`);
    await uwsgiRequest(target, nginxVars({ uri: `${uri}?uwsgi` }));
  }
  await server.waitForOutput(/GET \/empty\?uwsgi => /);
  await sleep(100);
  const lines = server.output().split('\n').filter((l) => l.startsWith('[pid: '));
  const uris = lines.map((l) => / (GET) (\S+) => /.exec(l)?.[2]).sort();
  assert.deepEqual(uris, ['/bytes/6000?http', '/bytes/6000?uwsgi', '/empty?http', '/empty?uwsgi', '/slow/400?http',
    '/slow/400?uwsgi', '/status/404?http', '/status/404?uwsgi'].sort(), server.output());
});

test('log-micros gives the default line in microseconds', async () => {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--log-micros']);
  servers.push(server);
  await httpRequest(`${server.url}/slow/20`);
  const match = await server.waitForOutput(/GET \/slow\/20 => generated 3 bytes in (\d+) micros \(HTTP\/1\.1 200\)/);
  assert.ok(Number(match[1]) >= 20_000, match[0]);
});
