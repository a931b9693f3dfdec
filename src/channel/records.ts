// The payloads of REQUEST_DONE and HARAKIRI (docs/channel.md): what a worker tells the master of a
// request it served on a uwsgi socket it accepted on, so that the request log, the counters and
// harakiri are the master's whichever listener served the request. And RESPONSE_FILE's: the file
// region a worker asks the master to send for it.

/** One request a worker served itself. */
export interface ServedRequest {
  status: number;
  core: number;
  headerCount: number;
  varCount: number;
  headerBytes: number;
  varBytes: number;
  bodyBytes: number;
  startedMs: number;
  /** How long it took, in microseconds. */
  micros: number;
  remoteAddr: string;
  method: string;
  uri: string;
  protocol: string;
  /** A worker's record: the values of CONFIG's `log_vars`, in order ('' for a var not set); absent without log_vars. */
  vars?: readonly string[];
  /** A request the master parsed: where the request log reads its vars. */
  source?: RequestVarSource;
  /** A request the master parsed from a trusted proxy: its X-Forwarded-For, as sent. */
  forwardedFor?: string;
}

/** The request vars of a request the master parsed: its headers by CGI name, and its environ block. */
export interface RequestVarSource {
  readonly headers: ReadonlyMap<string, string>;
  /** NUL-separated latin-1 pairs. */
  readonly environ: string;
}

/** A request past harakiri, and what the worker did about it. */
export interface HarakiriReport {
  elapsedS: number;
  /** It answered 504; otherwise part of the response had gone out, and the connection was reset. */
  answered: boolean;
  /** What the client got: the 504, or the part of the app's response that went out. */
  request: ServedRequest;
}

/** The numbers: four u16, two u32, three f64, little-endian; then the four strings. */
const NUMBERS_SIZE = 40;

/**
 * REQUEST_DONE: the numbers, then REMOTE_ADDR, method, URI and protocol, NUL-separated latin-1; then,
 * when CONFIG asked for `log_vars`, a NUL and their values, NUL-separated.
 */
export function decodeServedRequest(payload: Buffer): ServedRequest | undefined {
  if (payload.length < NUMBERS_SIZE) return undefined;
  const strings = payload.toString('latin1', NUMBERS_SIZE).split('\0');
  if (strings.length < 4) return undefined;
  const served: ServedRequest = {
    status: payload.readUInt16LE(0),
    core: payload.readUInt16LE(2),
    headerCount: payload.readUInt16LE(4),
    varCount: payload.readUInt16LE(6),
    headerBytes: payload.readUInt32LE(8),
    varBytes: payload.readUInt32LE(12),
    bodyBytes: payload.readDoubleLE(16),
    startedMs: payload.readDoubleLE(24),
    micros: payload.readDoubleLE(32),
    remoteAddr: strings[0], method: strings[1], uri: strings[2], protocol: strings[3],
  };
  if (strings.length > 4) served.vars = strings.slice(4);
  return served;
}

/** HARAKIRI: the seconds the request ran (f64), whether the 504 went out (u8), then a REQUEST_DONE. */
export function decodeHarakiri(payload: Buffer): HarakiriReport | undefined {
  if (payload.length < 9) return undefined;
  const request = decodeServedRequest(payload.subarray(9));
  return request === undefined ? undefined : { elapsedS: payload.readDoubleLE(0), answered: payload[8] === 1, request };
}

/** RESPONSE_FILE: the worker's descriptor of a regular file, and the region of it to send. */
export interface FileRegion {
  fd: number;
  offset: number;
  count: number;
}

/** RESPONSE_FILE: u32 fd, f64 offset, f64 count, little-endian. Undefined unless the numbers make a region. */
export function decodeFileRegion(payload: Buffer): FileRegion | undefined {
  if (payload.length !== 20) return undefined;
  const fd = payload.readUInt32LE(0);
  const offset = payload.readDoubleLE(4);
  const count = payload.readDoubleLE(12);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(count) || offset < 0 || count < 0) return undefined;
  if (!Number.isSafeInteger(offset + count)) return undefined;
  return { fd, offset, count };
}
