// The master's side of the channel codec (docs/channel.md): frames survive any split of the byte
// stream, and a broken stream is reported instead of misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, ChannelError } from '../src/channel/decoder.ts';
import { encodeFrame, encodeHeader, encodeJsonFrame, encodeLatin1Frame, encodeU32Frame } from '../src/channel/encoder.ts';
import * as F from '../src/channel/frames.ts';

interface Decoded { type: number; flags: number; id: number; payload: Buffer }

function decodeAll(chunks: Buffer[], isKnown = F.isWorkerFrame): Decoded[] {
  const frames: Decoded[] = [];
  const decoder = new FrameDecoder(isKnown, (type, flags, id, payload) => {
    frames.push({ type, flags, id, payload: Buffer.from(payload) });
  });
  for (const c of chunks) decoder.feed(c);
  assert.equal(decoder.buffered, 0, 'no partial frame left over');
  return frames;
}

test('the header is 12 bytes: type, flags, reserved, id and length, little-endian', () => {
  const frame = encodeFrame(F.RESPONSE_BODY, 0x03, 0x01020304, Buffer.from('abc'));
  assert.deepEqual([...frame], [0x43, 0x03, 0, 0, 0x04, 0x03, 0x02, 0x01, 3, 0, 0, 0, 0x61, 0x62, 0x63]);
});

test('frames decode whole, byte by byte, and several in one chunk', () => {
  const stream = Buffer.concat([
    encodeFrame(F.RESPONSE_HEAD, 0, 7, Buffer.from('200 OK\0Content-Type\0text/plain', 'latin1')),
    encodeFrame(F.RESPONSE_BODY, 0, 7, Buffer.alloc(70_000, 0x61)),
    encodeU32Frame(F.BODY_CREDIT, 7, 262144),
    encodeFrame(F.RESPONSE_END, 0, 7),
  ]);
  const expected = decodeAll([stream]);
  assert.deepEqual(expected.map((f) => f.type), [F.RESPONSE_HEAD, F.RESPONSE_BODY, F.BODY_CREDIT, F.RESPONSE_END]);
  assert.equal(expected[1].payload.length, 70_000);
  assert.equal(expected[2].payload.readUInt32LE(0), 262144);
  const byteByByte = decodeAll([...stream].map((b) => Buffer.from([b])));
  assert.deepEqual(byteByByte, expected);
  for (const cut of [1, 11, 12, 13, 50, 70_012, stream.length - 1]) {
    assert.deepEqual(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]), expected, `split at ${cut}`);
  }
});

test('a header and its payload written apart decode as one frame', () => {
  const body = Buffer.from('x'.repeat(1000));
  const frames = decodeAll([encodeHeader(F.BODY, 0, 9, body.length), body], F.isMasterFrame);
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0].payload, body);
});

test('the environ block is latin-1: every byte value 1..255 round-trips', () => {
  let text = '';
  for (let c = 1; c < 256; c++) text += String.fromCharCode(c);
  const [frame] = decodeAll([encodeLatin1Frame(F.REQUEST, F.FLAG_HAS_BODY, 1, text)], F.isMasterFrame);
  assert.equal(frame.flags, F.FLAG_HAS_BODY);
  assert.equal(frame.payload.length, 255);
  assert.equal(frame.payload.toString('latin1'), text);
});

test('CONFIG carries UTF-8 JSON', () => {
  const [frame] = decodeAll([encodeJsonFrame(F.CONFIG, 0, { chdir: '/srv/café' })], F.isMasterFrame);
  assert.deepEqual(JSON.parse(frame.payload.toString('utf8')), { chdir: '/srv/café' });
});

test('an unknown frame type breaks the channel', () => {
  assert.throws(() => decodeAll([encodeFrame(0x7f, 0, 1)]), ChannelError);
  // a master->worker type arriving at the master is as wrong as garbage
  assert.throws(() => decodeAll([encodeFrame(F.REQUEST, 0, 1)]), ChannelError);
});

test('a length above MAX_PAYLOAD breaks the channel before waiting for the bytes', () => {
  const header = encodeHeader(F.RESPONSE_BODY, 0, 1, F.MAX_PAYLOAD + 1);
  assert.throws(() => decodeAll([header]), /exceeds/);
});
