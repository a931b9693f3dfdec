// The master's side of the channel codec (docs/channel.md): frames survive any split of the byte
// stream, and a broken stream is reported instead of misread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, ChannelError } from '../src/channel/decoder.ts';
import { encodeFrame, encodeHeader, encodeJsonFrame, encodeLatin1Frame, encodeU32Frame } from '../src/channel/encoder.ts';
import * as F from '../src/channel/frames.ts';
import { decodeFileRegion } from '../src/channel/records.ts';

interface Decoded { type: number; flags: number; id: number; payload: Buffer }

/** Feeds `chunks` to a decoder; returns what it handed out, call by call (a body frame may be several). */
function decodeAll(chunks: Buffer[], isKnown = F.isWorkerFrame): Decoded[] {
  const frames: Decoded[] = [];
  const decoder = new FrameDecoder(isKnown, (type, flags, id, payload) => {
    frames.push({ type, flags, id, payload: Buffer.from(payload) });
  });
  for (const c of chunks) decoder.feed(c);
  assert.equal(decoder.buffered, 0, 'no partial frame left over');
  return frames;
}

/**
 * The frames as sent, from what a decoder handed out: the pieces of a body frame joined. (Two body
 * frames in a row for the same request would join too; the streams below never send those.)
 */
function joined(decoded: Decoded[]): Decoded[] {
  const frames: Decoded[] = [];
  for (const d of decoded) {
    const last = frames.at(-1);
    if (F.isBodyFrame(d.type)) assert.ok(d.payload.length > 0, 'no empty body piece');
    if (last !== undefined && F.isBodyFrame(d.type) && last.type === d.type && last.id === d.id) {
      last.payload = Buffer.concat([last.payload, d.payload]);
    } else {
      frames.push({ ...d });
    }
  }
  return frames;
}

/** Cuts `buf` into pieces of `size` bytes (the last one shorter). */
function slices(buf: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let off = 0; off < buf.length; off += size) pieces.push(buf.subarray(off, off + size));
  return pieces;
}

const record = Buffer.alloc(300, 0x52);
const frames = [
  encodeFrame(F.RESPONSE_HEAD, 0, 7, Buffer.from('200 OK\0Content-Type\0text/plain', 'latin1')),
  encodeFrame(F.RESPONSE_BODY, 0x02, 7, Buffer.from('x'.repeat(500))),
  encodeU32Frame(F.BODY_CREDIT, 7, 262144),
  encodeFrame(F.REQUEST_DONE, 0, 0, record),
  encodeFrame(F.RESPONSE_BODY, 0, 7, Buffer.from('tail')),
  encodeFrame(F.RESPONSE_END, 0, 7),
];
const stream = Buffer.concat(frames);

test('the header is 12 bytes: type, flags, reserved, id and length, little-endian', () => {
  const frame = encodeFrame(F.RESPONSE_BODY, 0x03, 0x01020304, Buffer.from('abc'));
  assert.deepEqual([...frame], [0x43, 0x03, 0, 0, 0x04, 0x03, 0x02, 0x01, 3, 0, 0, 0, 0x61, 0x62, 0x63]);
});

test('several frames in one feed are handed out whole, in order', () => {
  const decoded = decodeAll([stream]);
  assert.deepEqual(decoded.map((f) => f.type),
    [F.RESPONSE_HEAD, F.RESPONSE_BODY, F.BODY_CREDIT, F.REQUEST_DONE, F.RESPONSE_BODY, F.RESPONSE_END]);
  assert.equal(decoded[1].flags, 0x02);
  assert.equal(decoded[1].payload.toString(), 'x'.repeat(500));
  assert.equal(decoded[2].payload.readUInt32LE(0), 262144);
  assert.deepEqual(decoded[3].payload, record);
  assert.equal(decoded[4].payload.toString(), 'tail');
  assert.equal(decoded[5].payload.length, 0);
});

test('a stream split in two at every byte boundary decodes to the same frames', () => {
  const expected = decodeAll([stream]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoded = decodeAll([stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(joined(decoded), expected, `split at ${cut}`);
    // only a body frame that the cut falls into comes in two pieces
    assert.ok(decoded.length - expected.length <= 1, `split at ${cut}: ${decoded.length} calls`);
  }
});

test('a stream fed one byte at a time decodes to the same frames, body bytes one by one', () => {
  const decoded = decodeAll([...stream].map((b) => Buffer.from([b])));
  assert.deepEqual(joined(decoded), decodeAll([stream]));
  assert.equal(decoded.filter((f) => f.type === F.RESPONSE_BODY).length, 500 + 4);
});

test('a large body frame in many small chunks is handed out piece by piece, without a copy', () => {
  const body = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const data = Buffer.concat([encodeFrame(F.RESPONSE_BODY, 0, 3, body), encodeFrame(F.RESPONSE_END, 0, 3)]);
  const chunks = slices(data, 1000);
  const pieces: Buffer[] = [];
  let fedChunk: Buffer | null = null;
  const decoder = new FrameDecoder(F.isWorkerFrame, (type, _flags, id, payload) => {
    if (type !== F.RESPONSE_BODY) return;
    assert.equal(id, 3);
    // a view into the buffer being fed
    assert.equal(payload.buffer, fedChunk!.buffer);
    pieces.push(Buffer.from(payload));
  });
  for (const chunk of chunks) {
    fedChunk = chunk;
    decoder.feed(chunk);
    assert.equal(decoder.buffered, 0, 'a body frame holds nothing back');
  }
  assert.ok(pieces.length >= chunks.length - 1 && pieces.every((p) => p.length > 0 && p.length <= 1000));
  assert.deepEqual(Buffer.concat(pieces), body);
});

test('a large frame of another type in many small chunks is handed out once, whole', () => {
  const payload = Buffer.alloc(200_000);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 253;
  const data = Buffer.concat([encodeFrame(F.REQUEST_DONE, 0, 0, payload), encodeFrame(F.READY, 0, 0)]);
  const chunks = slices(data, 777);
  const decoded: Decoded[] = [];
  const decoder = new FrameDecoder(F.isWorkerFrame, (type, flags, id, p) => {
    decoded.push({ type, flags, id, payload: Buffer.from(p) });
  });
  for (const [i, chunk] of chunks.entries()) {
    decoder.feed(chunk);
    if (i < chunks.length - 1) {
      assert.equal(decoded.length, 0, 'nothing before the frame is complete');
      assert.equal(decoder.buffered, (i + 1) * 777 - F.HEADER_SIZE, 'what arrived of its payload is held');
    }
  }
  assert.equal(decoder.buffered, 0);
  assert.deepEqual(decoded.map((f) => f.type), [F.REQUEST_DONE, F.READY]);
  assert.deepEqual(decoded[0].payload, payload);
});

test('a frame inside one feed is handed out as a view into it', () => {
  const chunk = Buffer.concat(frames);
  const buffers: ArrayBufferLike[] = [];
  new FrameDecoder(F.isWorkerFrame, (_type, _flags, _id, payload) => buffers.push(payload.buffer)).feed(chunk);
  assert.ok(buffers.length === frames.length && buffers.every((b) => b === chunk.buffer));
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

test('RESPONSE_FILE carries a u32 descriptor, an f64 offset and an f64 count', () => {
  const payload = Buffer.alloc(20);
  payload.writeUInt32LE(7, 0);
  payload.writeDoubleLE(2 ** 40, 4);
  payload.writeDoubleLE(12345, 12);
  const [frame] = decodeAll([encodeFrame(F.RESPONSE_FILE, 0, 3, payload)]);
  assert.equal(frame.type, F.RESPONSE_FILE);
  assert.deepEqual(decodeFileRegion(frame.payload), { fd: 7, offset: 2 ** 40, count: 12345 });
  // numbers that make no region of a file
  for (const [offset, count] of [[-1, 10], [0.5, 10], [0, Number.NaN], [2 ** 53, 2 ** 53]]) {
    payload.writeDoubleLE(offset, 4);
    payload.writeDoubleLE(count, 12);
    assert.equal(decodeFileRegion(payload), undefined, `offset ${offset}, count ${count}`);
  }
  assert.equal(decodeFileRegion(Buffer.alloc(19)), undefined);
});

test('FILE_TAKEN goes from the master to the worker only', () => {
  assert.ok(F.isMasterFrame(F.FILE_TAKEN) && !F.isWorkerFrame(F.FILE_TAKEN));
  assert.ok(F.isWorkerFrame(F.RESPONSE_FILE) && !F.isMasterFrame(F.RESPONSE_FILE));
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
