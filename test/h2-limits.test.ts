// The limits of an HTTP/2 connection on nuwsgi (an --https listener, slow.py), each with its
// option and its log line: concurrent streams,
// the header list (buffer-size, and http-max-headers), the idle timeout and the settings timeout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CODE, FRAME, H2Wire, headers, requestBlock, settingsAck } from './helpers/h2-frames.ts';
import { h2Connect, h2Request } from './helpers/h2-front.ts';
import { needTarget, normalRequest, startH2Target, type H2Target } from './helpers/h2-target.ts';

/** RST_STREAM's REFUSED_STREAM (RFC 9113 §7). */
const REFUSED_STREAM = 7;

describe('HTTP/2 limits', () => {
  let running: H2Target | undefined;
  before(async () => {
    running = await startH2Target(['--http2-max-concurrent-streams', '4', '--http2-idle-timeout', '1', '--http2-settings-timeout', '1']);
  });
  after(() => running?.stop());

  it('holds the streams past http2-max-concurrent-streams back, and logs it', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const session = await h2Connect(target.port);
    try {
      // six requests of a second each: the client keeps the last two until streams are free
      const replies = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => h2Request(session, { ':path': `/?sleep=1&id=${i}` })));
      assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    } finally {
      session.close();
    }
    await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: 4 streams open, http2-max-concurrent-streams: the client must wait for one to end; raise it with --http2-max-concurrent-streams/);
  });

  it('refuses a stream past http2-max-concurrent-streams before the client acknowledged it, and logs it', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    // a client that sent streams before it read the server's SETTINGS gets REFUSED_STREAM for the
    // extra ones (once it acknowledged them, nghttp2 takes an extra stream for a protocol error)
    const wire = await H2Wire.connect(target.port, { ack: false });
    for (let id = 1; id <= 9; id += 2) wire.write(headers(id, requestBlock('GET', `/?sleep=0.3&id=${id}`)));
    const refused = await wire.waitFrame((f) => f.type === FRAME.RST_STREAM && f.streamId === 9);
    assert.equal(refused.payload.readUInt32BE(0), REFUSED_STREAM);
    assert.equal((await normalRequest(target.port)).status, 200, 'another connection has streams of its own');
    // once a stream is done the client may open another: the refused one is told in the log then
    wire.write(settingsAck());
    await wire.waitFrame((f) => f.type === FRAME.HEADERS && f.streamId === 1);
    wire.write(headers(11, requestBlock('GET', '/?sleep=0&id=11')));
    await wire.waitFrame((f) => f.type === FRAME.HEADERS && f.streamId === 11);
    wire.close();
    await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: 1 stream refused \(RST_STREAM\): more than http2-max-concurrent-streams \(4\) open at once; raise it with --http2-max-concurrent-streams/);
  });

  it('answers 431 to a head larger than buffer-size, as over HTTP/1.1', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const session = await h2Connect(target.port);
    try {
      assert.equal((await h2Request(session, { ':path': '/big?sleep=0', 'x-big': 'a'.repeat(3900) })).status, 200, 'within buffer-size (4096)');
      assert.equal((await h2Request(session, { ':path': '/big?sleep=0', 'x-big': 'a'.repeat(4200) })).status, 431);
      await target.server.waitForOutput(/GET \/big\?sleep=0 from 127\.0\.0\.1:\d+: a head of \d+ bytes as HTTP\/1\.1 would carry it, larger than buffer-size \(4096 bytes\): answered 431; raise it with --buffer-size/);
      // far past it, nghttp2 resets the stream before its head is complete; the next stream is served
      const reset = await h2Request(session, { ':path': '/huge', 'x-huge': 'a'.repeat(20_000) });
      assert.equal(reset.rstCode, CODE.ENHANCE_YOUR_CALM);
      assert.equal((await h2Request(session, { ':path': '/after?sleep=0' })).status, 200);
      await target.server.waitForOutput(/1 stream refused \(RST_STREAM\): a header list over buffer-size or with more than http-max-headers \(100\) fields, or malformed/);
    } finally {
      session.close();
    }
  });

  it('closes a connection without an open stream after http2-idle-timeout (GOAWAY)', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const wire = await H2Wire.connect(target.port);
    await wire.waitClosed(5000);
    assert.equal(wire.goAwayCode(), CODE.NO_ERROR);
    await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: no open stream for 1 s: closed \(GOAWAY\); raise it with --http2-idle-timeout/);
  });

  it('closes a connection whose client sends no preface within http2-settings-timeout', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const wire = await H2Wire.connect(target.port, { preface: false });
    await wire.waitClosed(5000);
    await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: no preface or SETTINGS acknowledgement within 1 s: closed; raise it with --http2-settings-timeout/);
  });

  // last: it stops the server
  it('on a graceful shutdown, sends GOAWAY and lets the open stream finish', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const session = await h2Connect(target.port);
    const goAway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
    const reply = h2Request(session, { ':path': '/?sleep=1&id=drain' });
    await target.server.waitForOutput(/slow request drain started/);
    target.server.proc.kill('SIGTERM');
    assert.equal(await goAway, CODE.NO_ERROR);
    const { status, body } = await reply;
    assert.deepEqual({ status, body: body.toString() }, { status: 200, body: 'slept 1 (drain)' });
    session.close();
    assert.deepEqual(await target.server.exited, { code: 0, signal: null });
  });
});

// A server of its own, so that no line of the same kind in the second before holds this one back
// (the lines of refused streams are written at most once a second)
describe('HTTP/2 streams refused when no stream comes after them', () => {
  let running: H2Target | undefined;
  before(async () => {
    running = await startH2Target([]);
  });
  after(() => running?.stop());

  it('logs a stream refused for its header list when the client sends GOAWAY', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const session = await h2Connect(target.port);
    const reset = await h2Request(session, { ':path': '/huge', 'x-huge': 'a'.repeat(20_000) });
    assert.equal(reset.rstCode, CODE.ENHANCE_YOUR_CALM);
    try {
      // no later stream shows the gap in the ids: the client says it is done (the server then ends the session)
      session.goaway(CODE.NO_ERROR);
      await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: 1 stream refused \(RST_STREAM\): a header list over buffer-size/);
    } finally {
      session.destroy();
    }
  });
});
