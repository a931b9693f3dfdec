// Encoding of channel frames. Every function returns buffers ready for socket.write(); the
// caller corks the socket so that the frames of one event-loop turn leave in one writev.
import { HEADER_SIZE } from './frames.ts';

function writeHeader(buf: Buffer, type: number, flags: number, id: number, length: number): void {
  buf[0] = type;
  buf[1] = flags;
  buf[2] = 0;
  buf[3] = 0;
  buf.writeUInt32LE(id, 4);
  buf.writeUInt32LE(length, 8);
}

/** A frame with no payload or a small one copied in. */
export function encodeFrame(type: number, flags: number, id: number, payload?: Buffer): Buffer {
  const length = payload === undefined ? 0 : payload.length;
  const buf = Buffer.allocUnsafe(HEADER_SIZE + length);
  writeHeader(buf, type, flags, id, length);
  if (payload !== undefined) payload.copy(buf, HEADER_SIZE);
  return buf;
}

/** Only the header of a frame whose payload is written separately (large bodies: no copy). */
export function encodeHeader(type: number, flags: number, id: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(buf, type, flags, id, length);
  return buf;
}

/** A frame whose payload is a latin-1 string (the environ block), encoded in place. */
export function encodeLatin1Frame(type: number, flags: number, id: number, text: string): Buffer {
  const length = text.length; // latin-1: one byte per UTF-16 unit, every char is <= 0xff
  const buf = Buffer.allocUnsafe(HEADER_SIZE + length);
  writeHeader(buf, type, flags, id, length);
  buf.write(text, HEADER_SIZE, length, 'latin1');
  return buf;
}

/** A frame carrying one u32 (the credit frames). */
export function encodeU32Frame(type: number, id: number, value: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE + 4);
  writeHeader(buf, type, 0, id, 4);
  buf.writeUInt32LE(value, HEADER_SIZE);
  return buf;
}

/** A frame whose payload is UTF-8 JSON (CONFIG). */
export function encodeJsonFrame(type: number, id: number, value: unknown): Buffer {
  return encodeFrame(type, 0, id, Buffer.from(JSON.stringify(value), 'utf8'));
}
