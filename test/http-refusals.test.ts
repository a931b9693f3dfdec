// The HTTP front's refusals end to end: each rule of http-vet.ts over a real socket gets its status
// from the answer table, a log line naming the rule, and a closed connection; a flood of one kind
// is logged once a second; a forbidden trailer field stops a request the app was reading; CONNECT
// is answered; and the server keeps serving normal requests throughout.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ANSWERS } from '../src/listeners/answers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, parseAll, rawExchange, stopServer, waitFor } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

describe('refusals of the HTTP front', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--http-max-headers', '20']);
  });
  after(() => stopServer(server));

  /** Sends `request` on a connection of its own; the answer's status, its body, and the log since. */
  async function refusal(request: string, logLine: RegExp): Promise<{ status: number; body: string }> {
    const mark = server.output().length;
    const { data, client } = await rawExchange(server.port, request);
    const [response] = parseAll(data);
    assert.ok(response !== undefined, `no answer to ${JSON.stringify(request)}`);
    assert.ok(client.ended, 'the connection is closed after the refusal');
    await waitFor(() => logLine.test(server.output().slice(mark)), 5_000, `the log line ${logLine}`);
    const status = await httpRequest(server.url + '/after');
    assert.equal(status.status, 200, 'the server still serves');
    return { status: response.statusCode, body: response.body.toString('latin1') };
  }

  const extra = Array.from({ length: 21 }, (_, i) => `X-${i}: v\r\n`).join('');
  const cases: Array<[string, string, number, RegExp]> = [
    ['two Host fields', 'GET /two-hosts HTTP/1.1\r\nHost: a\r\nHost: evil.example\r\n\r\n', 400, /2 Host header fields: answered 400/],
    ['two Content-Type fields', 'POST /ct HTTP/1.1\r\nHost: a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 0\r\n\r\n', 400,
      /2 Content-Type header fields: answered 400/],
    ['more fields than --http-max-headers', `GET /many HTTP/1.1\r\nHost: a\r\n${extra}\r\n`, 431,
      /more than http-max-headers \(20\) header fields: answered 431; raise it with --http-max-headers/],
    ['Transfer-Encoding on HTTP/1.0', 'POST /te10 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, /Transfer-Encoding on an HTTP\/1\.0 request/],
    ['a coding other than chunked', 'POST /gz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 400, /only chunked is accepted/],
    ['GET *', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', 400, /the asterisk-form is for OPTIONS only/],
    ['HTTP/2.0 on an HTTP/1 listener', 'GET /h2 HTTP/2.0\r\nHost: a\r\n\r\n', 505, /HTTP\/2\.0 is not supported/],
    ['an absolute-form target for another host', 'GET http://evil.example/x HTTP/1.1\r\nHost: a\r\n\r\n', 400, /absolute-form target for evil\.example/],
    ['HTTP/1.1 without Host', 'GET /no-host HTTP/1.1\r\n\r\n', 400, /without a Host header field .*: answered 400/],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, /CONNECT example\.com:443 from .*: nuwsgi is not a proxy: answered 405/],
    ['Host in a chunked body\'s trailer', 'POST /trailer HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nHost: evil\r\n\r\n', 400,
      /a Host field in the chunked body's trailer: answered 400/],
  ];
  for (const [name, request, status, logLine] of cases) {
    it(`${name}: ${status}, a log line, the connection closed`, async () => {
      const answer = await refusal(request, logLine);
      assert.equal(answer.status, status);
      const table = Object.values(ANSWERS).find((a) => a.status === status)!;
      assert.equal(answer.body, table.body, 'the body comes from the answer table');
    });
  }

  it('logs a flood of one kind once, then how many more in that second', async () => {
    const mark = server.output().length;
    for (let i = 0; i < 5; i++) await rawExchange(server.port, 'GET /flood HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    await waitFor(() => /\d+ more requests answered 400 in the last second \(duplicate Host\)/.test(server.output().slice(mark)), 5_000,
      'the summary line');
    const lines = server.output().slice(mark).split('\n').filter((line) => line.includes('GET /flood'));
    assert.ok(lines.length <= 2, `at most one line a second per rule, got:\n${lines.join('\n')}`);
  });

  it('keeps serving what passes: OPTIONS *, a chunked POST with an allowed trailer field', async () => {
    const { data } = await rawExchange(server.port, 'OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal(parseAll(data)[0]?.statusCode, 200);
    const chunked = await rawExchange(server.port,
      'POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\nx\r\n0\r\nX-Checksum: 1\r\n\r\n');
    assert.equal(parseAll(chunked.data)[0]?.statusCode, 200);
  });
});
