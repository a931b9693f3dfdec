// log-format: the template is parsed at load (refused with the file, line, option and variable) and
// compiled once; each of uWSGI's variables is written from a request record, in-process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ServedRequest } from '../src/channel/records.ts';
import { decodeServedRequest } from '../src/channel/records.ts';
import { ConfigError, parseCommandLine } from '../src/config/index.ts';
import { COMPUTED_VARIABLES, parseLogFormat, type LogFormat } from '../src/config/log-format.ts';
import { compileLogFormat, sourceVar } from '../src/observe/request-format.ts';
import type { FinishedRequest } from '../src/router/router.ts';
import { tempDir } from './helpers/wire.ts';

const STARTED = Date.UTC(2026, 4, 19, 20, 14, 38, 123) + 0.456;

function record(fields: Partial<ServedRequest> = {}): ServedRequest {
  return {
    status: 404, core: 2, headerCount: 3, varCount: 24, headerBytes: 64, varBytes: 331, bodyBytes: 1000,
    startedMs: STARTED, micros: 12_345.6, remoteAddr: '10.1.2.3', method: 'POST', uri: '/a?b=c', protocol: 'HTTP/1.1',
    ...fields,
  };
}

const finished: FinishedRequest = { server: { slot: 3, pid: 4242, requestsServed: 7 }, total: 9, details: () => undefined };

function format(text: string): LogFormat {
  const parsed = parseLogFormat(text);
  assert.equal(typeof parsed, 'object', String(parsed));
  return parsed as LogFormat;
}

function render(text: string, r: ServedRequest = record(), memory = () => ({ rss: 50 * 1024 * 1024 + 5, vsz: 300 * 1024 * 1024 })): string {
  const parsed = format(text);
  return compileLogFormat(parsed, { memory, forwardedFor: false, logVars: parsed.vars })(finished, r);
}

describe('log-format variables', () => {
  const cases: Array<[string, string]> = [
    ['uri', '/a?b=c'], ['method', 'POST'], ['addr', '10.1.2.3'], ['proto', 'HTTP/1.1'], ['status', '404'],
    ['rsize', '1000'], ['hsize', '64'], ['size', '1064'], ['micros', '12345'], ['msecs', '12'], ['secs', '0.012346'],
    ['tmsecs', String(Math.floor(STARTED))], ['tmicros', String(Math.floor(STARTED * 1000))],
    ['time', String(Math.floor(STARTED / 1000))], ['pid', '4242'], ['wid', '3'], ['switches', '1'], ['core', '2'],
    ['vars', '24'], ['pktsize', '331'], ['modifier1', '0'], ['modifier2', '0'], ['headers', '3'],
    ['rss', String(50 * 1024 * 1024 + 5)], ['vsz', String(300 * 1024 * 1024)], ['rssM', '50'], ['vszM', '300'],
  ];
  for (const [name, expected] of cases) {
    it(`%(${name})`, () => assert.equal(render(`<%(${name})>`), `<${expected}>`));
  }

  it('reads the memory once per line, whatever the number of memory variables', () => {
    let reads = 0;
    const memory = () => { reads++; return { rss: 1024 * 1024, vsz: 2 * 1024 * 1024 }; };
    assert.equal(render('%(rss) %(vsz) %(rssM) %(vszM)', record(), memory), '1048576 2097152 1 2');
    assert.equal(reads, 1);
  });

  it('covers every computed variable', () => {
    const tested = new Set([...cases.map(([name]) => name), 'ltime', 'ctime', 'epoch']);
    assert.deepEqual(COMPUTED_VARIABLES.filter((name) => !tested.has(name)), []);
  });

  it('%(ltime), %(ctime) and %(epoch) are dates', () => {
    assert.match(render('%(ltime)'), /^19\/May\/2026:\d\d:\d\d:38 [+-]\d{4}$/);
    assert.match(render('%(ctime)'), /^Tue May 19 \d\d:\d\d:38 2026$/);
    const epoch = Number(render('%(epoch)'));
    assert.ok(Math.abs(epoch - Date.now() / 1000) < 5);
  });

  it('reads the request vars from a worker record, in the order of log_vars', () => {
    const text = '%(user)|%(host)|%(uagent)|%(referer)|%(cl)|%(var.HTTP_X_REQUEST_ID)|%(var.NOPE)';
    const parsed = format(text);
    assert.deepEqual(parsed.vars, ['REMOTE_USER', 'HTTP_HOST', 'SERVER_NAME', 'HTTP_USER_AGENT', 'HTTP_REFERER',
      'CONTENT_LENGTH', 'HTTP_X_REQUEST_ID', 'NOPE']);
    const r = record({ vars: ['bob', '', 'example.org', 'UA/1', 'http://ref/', '', 'id-1', ''] });
    assert.equal(render(text, r), 'bob|example.org|UA/1|http://ref/|0|id-1|-');
  });

  it("reads the request vars of a request the master parsed from its headers and environ block", () => {
    const source = {
      headers: new Map([['HTTP_HOST', 'h.example'], ['HTTP_USER_AGENT', 'curl/8'], ['HTTP_X_REQUEST_ID', 'abc']]),
      environ: 'REQUEST_METHOD\0GET\0SERVER_NAME\0srv\0SCRIPT_NAME\0\0REMOTE_USER\0alice\0REMOTE_ADDR\x001.2.3.4',
    };
    assert.equal(render('%(host) %(uagent) %(var.HTTP_X_REQUEST_ID) %(user) %(referer) %(var.SCRIPT_NAME) %(var.REMOTE_ADDR)',
      record({ source })), 'h.example curl/8 abc alice - - 1.2.3.4');
    assert.equal(sourceVar(source, 'SERVER_NAME'), 'srv');
    assert.equal(sourceVar(source, 'GET'), undefined, 'a value is not a key');
  });

  it('a missing or empty value is "-", text around variables is kept, and uWSGI\'s combined format works', () => {
    assert.equal(render('%(method)', record({ method: '' })), '-');
    assert.equal(render('a %% b %(status)) c'), 'a %% b 404) c');
    const combined = '%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) "%(referer)" "%(uagent)"';
    assert.match(render(combined, record({ vars: ['', '', 'UA'] })), /^10\.1\.2\.3 - - \[19\/May\/2026:[^\]]+\] "POST \/a\?b=c HTTP\/1\.1" 404 1064 "-" "UA"$/);
  });

  it('decodes the vars a worker appends to REQUEST_DONE', () => {
    const numbers = Buffer.alloc(40);
    numbers.writeUInt16LE(200, 0);
    const payload = Buffer.concat([numbers, Buffer.from('1.2.3.4\0GET\0/\0HTTP/1.0\0v1\0\0v3', 'latin1')]);
    assert.deepEqual(decodeServedRequest(payload)?.vars, ['v1', '', 'v3']);
    assert.equal(decodeServedRequest(payload.subarray(0, payload.length - 8))?.vars, undefined);
  });
});

describe('malformed formats', () => {
  const problems: Array<[string, RegExp]> = [
    ['%(nope)', /unknown variable %\(nope\)/],
    ['x %(status', /unclosed %\( at character 3/],
    ['%(ftime)', /%\(ftime\) is not supported/],
    ['%(werr)', /%\(werr\) is not supported/],
    ['%(metric.core.requests)', /%\(metric\.core\.requests\) is not supported/],
    ['%(var.)', /%\(var\.\) names no request var/],
  ];
  for (const [text, problem] of problems) {
    it(`refuses ${text}`, () => assert.match(String(parseLogFormat(text)), problem));
  }

  it('is refused at load naming the file, the line, the option and the variable', () => {
    const dir = tempDir();
    const ini = path.join(dir, 'app.ini');
    fs.writeFileSync(ini, '[uwsgi]\nhttp = :8000\nwsgi-file = app.py\nlogformat = %(addr) %(bogus) %(status)\n');
    assert.throws(() => parseCommandLine([ini], {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /logformat/);
      assert.match(err.message, /app\.ini/);
      assert.match(err.message, /line 4/);
      assert.match(err.message, /unknown variable %\(bogus\)/);
      return true;
    });
  });

  it('is refused on the command line too, and a good one is parsed once into Config', () => {
    assert.throws(() => parseCommandLine(['--http', ':8000', '--wsgi-file', 'a.py', '--log-format', '%(addr'], {}), /unclosed %\(/);
    const command = parseCommandLine(['--http', ':8000', '--wsgi-file', 'a.py', '--log-format', '%(uagent) %(status)'], {});
    assert.equal(command.kind, 'serve');
    if (command.kind === 'serve') assert.deepEqual(command.config.logFormat?.vars, ['HTTP_USER_AGENT']);
  });
});
