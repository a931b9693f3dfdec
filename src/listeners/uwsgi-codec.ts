// The head of a uwsgi request (reference: uwsgi.md §1), sans-IO: feed() takes bytes as they arrive
// and answers "need more", the parsed head (with the bytes after it, where the body starts), or an
// error. No sockets here, so it can be unit-tested and fuzzed alone.
//
//   u8 modifier1 | u16 LE datasize | u8 modifier2 | vars block of `datasize` bytes
//   vars block:  repeat { u16 LE key length (> 0) | key | u16 LE value length | value }
//
// A head that arrives in one chunk (nginx writes it in one go) is parsed where it lies; only a head
// split across chunks is copied, once, into a buffer of its exact size.

/** More vars than any real request has (nginx sends 14 plus one per header; uWSGI stops near 128). */
export const MAX_VARS = 1000;
/** The vars block size is a 16-bit field. */
export const MAX_DATASIZE = 0xffff;

export type UwsgiErrorCode =
  /** The bytes look like an HTTP request line. */
  | 'LOOKS_LIKE_HTTP'
  /** The bytes look like a TLS handshake. */
  | 'LOOKS_LIKE_TLS'
  /** modifier1 is not 0 (WSGI), the only request type served. */
  | 'UNSUPPORTED_MODIFIER'
  /** datasize is above the limit (buffer-size). */
  | 'HEAD_TOO_LARGE'
  /** A key of length 0. */
  | 'EMPTY_KEY'
  /** A length runs past the end of the vars block. */
  | 'TRUNCATED_VAR'
  /** More than MAX_VARS key/value pairs. */
  | 'TOO_MANY_VARS';

export class UwsgiParseError extends Error {
  readonly code: UwsgiErrorCode;
  /** modifier1 for UNSUPPORTED_MODIFIER, datasize for HEAD_TOO_LARGE. */
  readonly value: number;

  constructor(code: UwsgiErrorCode, message: string, value = 0) {
    super(message);
    this.name = 'UwsgiParseError';
    this.code = code;
    this.value = value;
  }
}

export interface UwsgiHead {
  modifier1: number;
  modifier2: number;
  /** Keys in wire order, latin-1; repeated keys are kept. */
  keys: string[];
  /** values[i] belongs to keys[i]. */
  values: string[];
  /** The bytes of the chunk that completed the head, after it: the start of the body. */
  rest: Buffer;
}

export type FeedResult = UwsgiHead | UwsgiParseError | null;

const HEADER_SIZE = 4;

/** The first four bytes of the request lines a browser or curl sends. */
const HTTP_STARTS = new Set(['GET ', 'POST', 'HEAD', 'PUT ', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC']);

export class UwsgiHeadParser {
  private readonly maxDatasize: number;
  /** The 4-byte header while it is incomplete. */
  private header: Buffer | null = null;
  private headerFilled = 0;
  private modifier1 = 0;
  private modifier2 = 0;
  /** datasize, once the header is known (-1 before). */
  private datasize = -1;
  /** The vars block being assembled from several chunks. */
  private block: Buffer | null = null;
  private blockFilled = 0;

  /** `maxDatasize`: the largest vars block accepted (buffer-size, at most 65535). */
  constructor(maxDatasize: number) {
    this.maxDatasize = Math.min(maxDatasize, MAX_DATASIZE);
  }

  /**
   * Takes the next bytes of the connection. Returns null while the head is incomplete, the head
   * once it is complete, or the error that makes the connection unusable. After a head or an
   * error the parser is done: later bytes are the body, not its business.
   */
  feed(chunk: Buffer): FeedResult {
    let offset = 0;
    if (this.datasize === -1) {
      if (this.headerFilled === 0 && chunk.length >= HEADER_SIZE) {
        const error = this.readHeader(chunk);
        if (error !== null) return error;
        offset = HEADER_SIZE;
      } else {
        const header = this.header ?? (this.header = Buffer.allocUnsafe(HEADER_SIZE));
        const n = Math.min(HEADER_SIZE - this.headerFilled, chunk.length);
        chunk.copy(header, this.headerFilled, 0, n);
        this.headerFilled += n;
        if (this.headerFilled < HEADER_SIZE) return null;
        const error = this.readHeader(header);
        if (error !== null) return error;
        offset = n;
      }
    }

    const datasize = this.datasize;
    if (this.block === null && chunk.length - offset >= datasize) {
      // the whole vars block is in this chunk
      return this.parseVars(chunk, offset, offset + datasize, chunk.subarray(offset + datasize));
    }
    const block = this.block ?? (this.block = Buffer.allocUnsafe(datasize));
    const n = Math.min(datasize - this.blockFilled, chunk.length - offset);
    chunk.copy(block, this.blockFilled, offset, offset + n);
    this.blockFilled += n;
    if (this.blockFilled < datasize) return null;
    return this.parseVars(block, 0, datasize, chunk.subarray(offset + n));
  }

  private readHeader(header: Buffer): UwsgiParseError | null {
    const modifier1 = header[0];
    const datasize = header[1] | (header[2] << 8);
    if (modifier1 !== 0) return notUwsgi(header);
    if (datasize > this.maxDatasize) {
      return new UwsgiParseError('HEAD_TOO_LARGE',
        `the vars block is ${datasize} bytes, more than buffer-size (${this.maxDatasize} bytes)`, datasize);
    }
    this.modifier1 = modifier1;
    this.modifier2 = header[3];
    this.datasize = datasize;
    return null;
  }

  private parseVars(buf: Buffer, start: number, end: number, rest: Buffer): UwsgiHead | UwsgiParseError {
    const keys: string[] = [];
    const values: string[] = [];
    let pos = start;
    while (pos < end) {
      if (keys.length === MAX_VARS) {
        return new UwsgiParseError('TOO_MANY_VARS', `more than ${MAX_VARS} vars`);
      }
      if (end - pos < 2) return truncated(pos - start);
      const keyLength = buf[pos] | (buf[pos + 1] << 8);
      pos += 2;
      if (keyLength === 0) return new UwsgiParseError('EMPTY_KEY', `a var with an empty key at byte ${pos - 2 - start}`);
      if (end - pos < keyLength + 2) return truncated(pos - 2 - start);
      const key = buf.toString('latin1', pos, pos + keyLength);
      pos += keyLength;
      const valueLength = buf[pos] | (buf[pos + 1] << 8);
      pos += 2;
      if (end - pos < valueLength) return truncated(pos - 2 - start);
      keys.push(key);
      values.push(valueLength === 0 ? '' : buf.toString('latin1', pos, pos + valueLength));
      pos += valueLength;
    }
    return { modifier1: this.modifier1, modifier2: this.modifier2, keys, values, rest };
  }
}

function truncated(at: number): UwsgiParseError {
  return new UwsgiParseError('TRUNCATED_VAR', `a var at byte ${at} runs past the end of the vars block`);
}

/** The first bytes of something that is not a uwsgi request: HTTP, TLS, or another modifier1. */
function notUwsgi(header: Buffer): UwsgiParseError {
  if (header[0] === 0x16 && header[1] === 0x03) {
    return new UwsgiParseError('LOOKS_LIKE_TLS', 'a TLS handshake', header[0]);
  }
  if (HTTP_STARTS.has(header.toString('latin1', 0, HEADER_SIZE))) {
    return new UwsgiParseError('LOOKS_LIKE_HTTP', 'an HTTP request', header[0]);
  }
  return new UwsgiParseError('UNSUPPORTED_MODIFIER', `unsupported modifier1 ${header[0]}`, header[0]);
}
