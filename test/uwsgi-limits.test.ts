// What a uwsgi socket does with what it cannot serve: a head over --buffer-size, HTTP or TLS sent
// to it by mistake, another modifier1, a peer that stalls (--socket-timeout). Each gets a log line
// saying what happened, the connection is closed, and the server keeps serving.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { json, parseAll, stopServer, waitFor, type Echo } from './helpers/wire.ts';
import { encodePacket, exchange, nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

/** nginx's vars plus one X-Big header that makes the vars block `size` bytes. */
function varsOfSize(size: number): Array<[string, string]> {
  const vars = nginxVars({ uri: '/big' });
  const base = encodePacket(vars).length - 4 + 4 + 'HTTP_X_BIG'.length;
  return [...vars, ['HTTP_X_BIG', 'b'.repeat(size - base)]];
}

async function expectServing(target: UwsgiTarget): Promise<void> {
  const r = await uwsgiRequest(target, nginxVars({ uri: '/still-serving' }));
  assert.equal(r.statusCode, 200);
  assert.equal(json<Echo>(r.body).path, '/still-serving');
}

describe('uwsgi head limit, default --buffer-size 4096', () => {
  let server: RunningServer;
  let target: UwsgiTarget;
  before(async () => {
    server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', echoApp]);
    target = uwsgiTarget(server);
  });
  after(() => stopServer(server));

  it('accepts a 4096-byte vars block', async () => {
    const vars = varsOfSize(4096);
    assert.equal(encodePacket(vars).length, 4 + 4096);
    const r = await uwsgiRequest(target, vars);
    assert.equal(r.statusCode, 200);
  });

  it('answers 431 to a 4097-byte vars block and logs a line naming --buffer-size', async () => {
    const mark = server.output().length;
    const r = await uwsgiRequest(target, varsOfSize(4097));
    assert.equal(r.statusCode, 431);
    await waitFor(() => /the vars block is 4097 bytes, more than buffer-size \(4096 bytes\): answered 431; raise it with --buffer-size/
      .test(server.output().slice(mark)), 5_000, 'the log line');
    await expectServing(target);
  });
});

describe('uwsgi head limit, -b 65535', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', echoApp, '-b', '65535']);
  });
  after(() => stopServer(server));

  it('accepts a 60000-byte vars block', async () => {
    const r = await uwsgiRequest(uwsgiTarget(server), varsOfSize(60_000));
    assert.equal(r.statusCode, 200);
    assert.equal(json<Echo>(r.body).cgi.HTTP_X_BIG!.length > 59_000, true);
  });
});

describe('uwsgi socket: other protocols, other request types, stalled peers (-z 1)', () => {
  let server: RunningServer;
  let target: UwsgiTarget;
  before(async () => {
    server = await startServer(['--uwsgi-socket', '127.0.0.1:0', '--wsgi-file', echoApp, '-z', '1']);
    target = uwsgiTarget(server);
  });
  after(() => stopServer(server));

  it('answers HTTP sent to it with a plain HTTP/1.0 400 saying so, and logs it', async () => {
    const mark = server.output().length;
    const sentence = 'this looks like HTTP on a uwsgi socket: use http-socket or put nginx in front';
    const { data } = await exchange(target, ['GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.0\r\n\r\n']);
    const [response] = parseAll(data);
    assert.equal(response!.httpVersion, '1.0');
    assert.equal(response!.statusCode, 400);
    assert.equal(response!.body.toString(), sentence + '\n');
    await waitFor(() => server.output().slice(mark).includes(sentence), 5_000, 'the log line');
  });

  it('recognises a POST with a body too', async () => {
    const { data } = await exchange(target, ['POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc']);
    assert.match(data.toString('latin1'), /^HTTP\/1\.0 400 Bad Request\r\n/);
  });

  it('closes a TLS handshake without an answer, and logs it', async () => {
    const mark = server.output().length;
    const hello = Buffer.from('16030100f5010000f10303', 'hex');
    const { data } = await exchange(target, [Buffer.concat([hello, Buffer.alloc(200)])]);
    assert.equal(data.length, 0);
    await waitFor(() => /this looks like TLS \(HTTPS\) on a uwsgi socket/.test(server.output().slice(mark)), 5_000, 'the log line');
  });

  it('refuses a modifier1 other than 0: logs "unsupported modifier1 N" and closes', async () => {
    const mark = server.output().length;
    const { data } = await exchange(target, [encodePacket([['key', 'value']], 111)]);
    assert.equal(data.length, 0);
    await waitFor(() => /unsupported modifier1 111/.test(server.output().slice(mark)), 5_000, 'the log line');
  });

  it('answers 400 to a malformed vars block', async () => {
    const packet = encodePacket(nginxVars());
    packet.writeUInt16LE(60000, 4); // the first key claims 60000 bytes
    const { data } = await exchange(target, [packet]);
    assert.match(data.toString('latin1'), /^HTTP\/1\.0 400 Bad Request\r\n/);
  });

  it('closes a connection whose head is not complete within socket-timeout, with a log line', async () => {
    const mark = server.output().length;
    const started = Date.now();
    const packet = encodePacket(nginxVars());
    const { data } = await exchange(target, [packet.subarray(0, 20)], { timeoutMs: 8_000 });
    assert.equal(data.length, 0);
    assert.ok(Date.now() - started >= 900, 'not before the timeout');
    await waitFor(() => /no complete request head within 1 s \(socket-timeout\): connection closed/.test(server.output().slice(mark)),
      5_000, 'the log line');
  });

  it('closes a connection whose body stalls for socket-timeout, with a log line', async () => {
    const mark = server.output().length;
    const { data } = await exchange(target, [encodePacket(nginxVars({ method: 'POST', uri: '/stall', contentLength: 100 })), 'x'.repeat(10)],
      { timeoutMs: 8_000 });
    assert.equal(data.length, 0);
    await waitFor(() => /nothing more of the body within 1 s \(socket-timeout\) after 10 of 100 bytes: connection closed/
      .test(server.output().slice(mark)), 5_000, 'the log line');
  });

  it('keeps serving', async () => {
    await expectServing(target);
    assert.equal(server.proc.exitCode, null);
    assert.doesNotMatch(server.output(), /internal error/);
  });
});

describe('uwsgi socket-timeout does not limit the app (-z 1, slow app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'slow.py'), '-z', '1']);
  });
  after(() => stopServer(server));

  it('waits 2.5 s for an app that has the whole request, body included', async () => {
    const r = await uwsgiRequest(uwsgiTarget(server), nginxVars({ method: 'POST', uri: '/?sleep=2.5', contentLength: 5 }), 'hello',
      { timeoutMs: 10_000 });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body.toString(), 'slept 2.5 (-)');
  });
});
