// Sans-IO decoder of channel frames: feed() it bytes as they arrive and it calls onFrame for each
// frame. A body frame (BODY, RESPONSE_BODY) is handed out as its bytes arrive, in one piece per fed
// buffer it spans: the receiver takes each piece as a body frame of its own, and no body byte is
// copied. Every other frame is handed out whole once it is complete. Payloads are views into the
// fed buffers, except that of a frame other than a body frame that spans several feeds: its pieces
// are joined, once, when its last byte arrives.
import { HEADER_SIZE, MAX_PAYLOAD, isBodyFrame } from './frames.ts';

export class ChannelError extends Error {
  readonly code = 'NUWSGI_CHANNEL_BROKEN';
}

export type FrameHandler = (type: number, flags: number, id: number, payload: Buffer) => void;

export class FrameDecoder {
  private readonly isKnownType: (type: number) => boolean;
  private readonly onFrame: FrameHandler;
  /** The start of a header that a later feed completes. */
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerBytes = 0;
  /** The frame whose payload continues in a later feed, and how many of its bytes are still to come. */
  private type = 0;
  private flags = 0;
  private id = 0;
  private left = 0;
  /** Its pieces received so far; null for a body frame, whose pieces are handed out as they come. */
  private parts: Buffer[] | null = null;
  private partsBytes = 0;

  constructor(isKnownType: (type: number) => boolean, onFrame: FrameHandler) {
    this.isKnownType = isKnownType;
    this.onFrame = onFrame;
  }

  /** Decodes what `chunk` completes or continues (after what earlier feeds left). Throws ChannelError. */
  feed(chunk: Buffer): void {
    const end = chunk.length;
    let off = 0;
    while (off < end) {
      if (this.left > 0) {
        off = this.takePayload(chunk, off);
      } else if (this.headerBytes === 0 && end - off >= HEADER_SIZE) {
        off = this.startFrame(chunk, off, chunk, off + HEADER_SIZE);
      } else {
        const n = Math.min(HEADER_SIZE - this.headerBytes, end - off);
        chunk.copy(this.header, this.headerBytes, off, off + n);
        this.headerBytes += n;
        off += n;
        if (this.headerBytes === HEADER_SIZE) {
          this.headerBytes = 0;
          off = this.startFrame(this.header, 0, chunk, off);
        }
      }
    }
  }

  /** Bytes of an incomplete frame held back (body frames hold none). */
  get buffered(): number {
    return this.headerBytes + this.partsBytes;
  }

  /**
   * Takes the frame whose header is at `header[at]` and whose payload starts at `chunk[off]`;
   * returns where in `chunk` the next frame starts (its end when the payload goes on past it).
   */
  private startFrame(header: Buffer, at: number, chunk: Buffer, off: number): number {
    const type = header[at];
    const length = header.readUInt32LE(at + 8);
    if (!this.isKnownType(type)) throw new ChannelError(`unknown frame type 0x${type.toString(16)}`);
    if (length > MAX_PAYLOAD) throw new ChannelError(`frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
    const flags = header[at + 1];
    const id = header.readUInt32LE(at + 4);
    if (chunk.length - off >= length) {
      this.onFrame(type, flags, id, chunk.subarray(off, off + length));
      return off + length;
    }
    this.type = type;
    this.flags = flags;
    this.id = id;
    this.left = length;
    this.parts = isBodyFrame(type) ? null : [];
    return this.takePayload(chunk, off);
  }

  /** Takes what `chunk` holds, from `off`, of the payload in progress; returns where it stopped. */
  private takePayload(chunk: Buffer, off: number): number {
    const n = Math.min(this.left, chunk.length - off);
    if (n === 0) return off;
    const piece = chunk.subarray(off, off + n);
    this.left -= n;
    const parts = this.parts;
    if (parts === null) {
      this.onFrame(this.type, this.flags, this.id, piece);
      return off + n;
    }
    parts.push(piece);
    this.partsBytes += n;
    if (this.left === 0) {
      const payload = Buffer.concat(parts, this.partsBytes);
      this.parts = null;
      this.partsBytes = 0;
      this.onFrame(this.type, this.flags, this.id, payload);
    }
    return off + n;
  }
}
