// Sans-IO decoder of channel frames: feed() it bytes as they arrive, it calls onFrame once per
// complete frame and keeps any partial frame for the next call. Payloads are views into the fed
// buffers (no copy) unless a frame straddled two feeds.
import { HEADER_SIZE, MAX_PAYLOAD } from './frames.ts';

export class ChannelError extends Error {
  readonly code = 'NUWSGI_CHANNEL_BROKEN';
}

export type FrameHandler = (type: number, flags: number, id: number, payload: Buffer) => void;

export class FrameDecoder {
  private pending: Buffer | null = null;
  private readonly isKnownType: (type: number) => boolean;
  private readonly onFrame: FrameHandler;

  constructor(isKnownType: (type: number) => boolean, onFrame: FrameHandler) {
    this.isKnownType = isKnownType;
    this.onFrame = onFrame;
  }

  /** Decodes every complete frame in `chunk` (after what was left over). Throws ChannelError. */
  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    const end = buf.length;
    while (end - off >= HEADER_SIZE) {
      const type = buf[off];
      const length = buf.readUInt32LE(off + 8);
      if (!this.isKnownType(type)) throw new ChannelError(`unknown frame type 0x${type.toString(16)}`);
      if (length > MAX_PAYLOAD) throw new ChannelError(`frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
      const frameEnd = off + HEADER_SIZE + length;
      if (frameEnd > end) break;
      this.onFrame(type, buf[off + 1], buf.readUInt32LE(off + 4), buf.subarray(off + HEADER_SIZE, frameEnd));
      off = frameEnd;
    }
    if (off < end) this.pending = off === 0 ? buf : buf.subarray(off);
  }

  /** Bytes of an incomplete frame held back. */
  get buffered(): number {
    return this.pending === null ? 0 : this.pending.length;
  }
}
