// HTTP/2 frames written by hand, for the tests of what node's client never sends: floods of
// HEADERS and RST_STREAM, CONTINUATION without end, header blocks that decompress past every
// limit. RFC 9113 §4 (frames) and RFC 7541 (HPACK: literal fields, and indexed ones for the bomb).
// H2Wire is a raw h2 connection, over TLS or cleartext, that writes these frames and reads the server's.
import net from 'node:net';
import tls from 'node:tls';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
/** RST_STREAM and GOAWAY codes. */
export const CODE = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, CANCEL: 8, COMPRESSION_ERROR: 9, ENHANCE_YOUR_CALM: 11 } as const;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

export function settings(entries: Array<[id: number, value: number]> = []): Buffer {
  const payload = Buffer.alloc(6 * entries.length);
  entries.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, payload);
}

export const settingsAck = (): Buffer => frame(FRAME.SETTINGS, FLAG.ACK, 0);

export function rstStream(streamId: number, code: number = CODE.CANCEL): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

/** HPACK's integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the bits above the prefix. */
export function hpackInteger(value: number, prefixBits: number, first = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const bytes = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([hpackInteger(bytes.length, 7), bytes]);
}

/** A literal field without indexing, its name a literal too (RFC 7541 §6.2.2). */
export function literalField(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

/** A literal field with incremental indexing: it enters the dynamic table, at index 62 (RFC 7541 §6.2.1). */
export function indexedLiteralField(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
}

/** An indexed field (RFC 7541 §6.1): one byte that stands for a whole entry of the table. */
export function indexedField(index: number): Buffer {
  return hpackInteger(index, 7, 0x80);
}

/** The header block of a request: its pseudo-header fields, then `fields`. */
export function requestBlock(method: string, path: string, fields: Array<[string, string]> = [], authority = 'localhost'): Buffer {
  return Buffer.concat([
    literalField(':method', method), literalField(':scheme', 'https'), literalField(':path', path),
    literalField(':authority', authority), ...fields.map(([name, value]) => literalField(name, value)),
  ]);
}

export function headers(streamId: number, block: Buffer, opts: { endStream?: boolean; endHeaders?: boolean } = {}): Buffer {
  const flags = (opts.endStream ?? true ? FLAG.END_STREAM : 0) | (opts.endHeaders ?? true ? FLAG.END_HEADERS : 0);
  return frame(FRAME.HEADERS, flags, streamId, block);
}

export function continuation(streamId: number, block: Buffer, endHeaders = false): Buffer {
  return frame(FRAME.CONTINUATION, endHeaders ? FLAG.END_HEADERS : 0, streamId, block);
}

export interface ReadFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw h2 connection, over TLS or cleartext (h2c): the client preface is sent, the server's frames are collected. */
export class H2Wire {
  readonly frames: ReadFrame[] = [];
  closed = false;
  private readonly socket: net.Socket;
  private pending = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /**
   * Connects with ALPN h2 and sends the preface with an empty SETTINGS (unless `preface` is false),
   * and acknowledges the server's SETTINGS at once (unless `ack` is false: then they stay pending).
   */
  static connect(port: number, opts: { preface?: boolean; ack?: boolean } = {}): Promise<H2Wire> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
        resolve(H2Wire.begin(socket, opts));
      });
      socket.once('error', reject);
    });
  }

  /** The same over a plain connection (h2c with prior knowledge). */
  static connectCleartext(port: number, opts: { preface?: boolean; ack?: boolean } = {}): Promise<H2Wire> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(H2Wire.begin(socket, opts)));
      socket.once('error', reject);
    });
  }

  private static begin(socket: net.Socket, opts: { preface?: boolean; ack?: boolean }): H2Wire {
    const wire = new H2Wire(socket);
    if (opts.preface ?? true) wire.write(Buffer.concat([PREFACE, settings(), ...(opts.ack ?? true ? [settingsAck()] : [])]));
    return wire;
  }

  /** Writes `data`; false when the server closed the connection already. */
  write(data: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    this.socket.write(data);
    return true;
  }

  /** Resolves once the server sent a frame `test` accepts (or rejects after timeoutMs). */
  waitFrame(test: (f: ReadFrame) => boolean, timeoutMs = 10_000): Promise<ReadFrame> {
    return this.until(() => this.frames.find(test), timeoutMs, 'a frame');
  }

  /** Resolves once the server closed the connection. */
  waitClosed(timeoutMs = 10_000): Promise<true> {
    return this.until(() => (this.closed ? true : undefined), timeoutMs, 'the connection to close');
  }

  /** The code of the server's GOAWAY, if it sent one. */
  goAwayCode(): number | undefined {
    const goAway = this.frames.find((f) => f.type === FRAME.GOAWAY);
    return goAway === undefined ? undefined : goAway.payload.readUInt32BE(4);
  }

  close(): void {
    this.socket.destroy();
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found === undefined) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${this.frames.map((f) => f.type).join(',')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 9) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < 9 + length) break;
      this.frames.push({
        type: this.pending[3],
        flags: this.pending[4],
        streamId: this.pending.readUInt32BE(5) & 0x7fffffff,
        payload: this.pending.subarray(9, 9 + length),
      });
      this.pending = this.pending.subarray(9 + length);
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
