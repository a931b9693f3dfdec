// The well-known HTTP/2 attacks on nuwsgi (an --https listener, slow.py), each on a connection of
// its own while a normal client on another connection must still get its answers: rapid reset (CVE-2023-44487), a CONTINUATION flood, an
// HPACK bomb, and a stream whose body never comes. Each is met by its defense (docs/compat.md,
// "HTTP/2"), which logs a line. The attack frames are written by hand (helpers/h2-frames.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CODE, FRAME, H2Wire, continuation, headers, indexedField, indexedLiteralField, literalField, requestBlock, rstStream,
} from './helpers/h2-frames.ts';
import { needTarget, normalRequest, startH2Target, type H2Target } from './helpers/h2-target.ts';

describe('HTTP/2 attacks', () => {
  let running: H2Target | undefined;
  before(async () => {
    running = await startH2Target(['--http2-stream-timeout', '1', '--http2-max-resets', '50']);
  });
  after(() => running?.stop());

  it('closes a connection that resets streams as fast as it opens them (rapid reset), and serves the others', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const wire = await H2Wire.connect(target.port);
    const frames: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const id = 1 + 2 * i;
      frames.push(headers(id, requestBlock('GET', `/?sleep=0&id=${id}`)), rstStream(id, CODE.CANCEL));
    }
    wire.write(Buffer.concat(frames));
    const normal = normalRequest(target.port);
    await wire.waitClosed();
    assert.equal(wire.goAwayCode(), CODE.ENHANCE_YOUR_CALM);
    assert.equal((await normal).status, 200);
    await target.server.waitForOutput(/more than 50 streams reset by the client in a second \(rapid reset, CVE-2023-44487\): closed \(GOAWAY\); raise it with --http2-max-resets/);
  });

  it('closes a connection whose header block never ends (CONTINUATION flood), and serves the others', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const wire = await H2Wire.connect(target.port);
    wire.write(headers(1, requestBlock('GET', '/'), { endHeaders: false }));
    const normal = normalRequest(target.port);
    // CONTINUATION after CONTINUATION, never END_HEADERS, until the server has had enough (bounded)
    for (let i = 0; i < 2000 && wire.write(continuation(1, literalField(`x-flood-${i}`, 'v'))); i++) {
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    await wire.waitClosed();
    // nghttp2's own GOAWAY, which the client may not read: the server closed over its unread flood
    assert.notEqual(wire.goAwayCode(), CODE.NO_ERROR);
    assert.equal((await normal).status, 200);
    await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: Too many CONTINUATION frames following a HEADER frame: closed/);
  });

  it('refuses a header block that decompresses past the limit (HPACK bomb), and serves the others', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const wire = await H2Wire.connect(target.port);
    // one 4000-byte entry in the dynamic table, then 4000 one-byte references to it: 16 MB decompressed
    const bomb = Buffer.concat([requestBlock('GET', '/bomb'), indexedLiteralField('x-bomb', 'b'.repeat(4000)), Buffer.alloc(4000, indexedField(62))]);
    wire.write(headers(1, bomb));
    const normal = normalRequest(target.port);
    const reset = await wire.waitFrame((f) => f.type === FRAME.RST_STREAM && f.streamId === 1);
    assert.equal(reset.payload.readUInt32BE(0), CODE.ENHANCE_YOUR_CALM);
    assert.equal((await normal).status, 200);
    // the connection goes on: its next stream is served
    wire.write(headers(3, requestBlock('GET', '/after-bomb?sleep=0')));
    const answer = await wire.waitFrame((f) => f.type === FRAME.HEADERS && f.streamId === 3);
    assert.ok(answer);
    await target.server.waitForOutput(/HTTP\/2 connection from 127\.0\.0\.1:\d+: 1 stream refused \(RST_STREAM\): a header list over buffer-size/);
    wire.close();
  });

  it('resets a stream whose body never comes, and serves the others meanwhile', async (t) => {
    const target = needTarget(t, running);
    if (target === undefined) return;
    const wire = await H2Wire.connect(target.port);
    wire.write(headers(1, requestBlock('POST', '/upload?sleep=5', [['content-length', '100']]), { endStream: false }));
    const normal = normalRequest(target.port);
    assert.equal((await normal).status, 200);
    const reset = await wire.waitFrame((f) => f.type === FRAME.RST_STREAM && f.streamId === 1);
    assert.equal(reset.payload.readUInt32BE(0), CODE.CANCEL);
    await target.server.waitForOutput(/POST \/upload\?sleep=5 from 127\.0\.0\.1:\d+: the client sent nothing of its body, or took nothing of the response, for 1 s: stream reset; raise it with --http2-stream-timeout/);
    wire.close();
  });
});
