// The HTTP semantics of a static file, as `send` has them, from the jshttp pieces it is made of:
// `fresh` for If-None-Match / If-Modified-Since (304), `range-parser` for Range (206 / 416),
// If-Range, If-Match / If-Unmodified-Since (412). A pure function of the request's headers and the
// file's metadata, tested in-process (test/static-respond.test.ts); files.ts sends what it decides.
// The worker's static_files.py decides the same way for the uwsgi sockets.
import fresh from 'fresh';
import rangeParser from 'range-parser';

/** What the response depends on, of the file chosen (a precompressed sibling, when one is served). */
export interface FileMeta {
  size: number;
  mtimeMs: number;
  etag: string;
  lastModified: string;
  contentType: string;
  /** `br` or `gzip` when a precompressed sibling is sent. */
  encoding: string | null;
  /** The representation depends on Accept-Encoding (precompression applies to this file). */
  varies: boolean;
  /** The expiry rule that matched, if one did. */
  expires: { seconds: number; fromMtime: boolean } | null;
}

export interface FileResponse {
  status: 200 | 206 | 304 | 412 | 416;
  /** A flat [name, value, ...] head; Content-Length included where a body (or HEAD's length) goes with it. */
  headers: string[];
  /** The byte range of the file to send: none for HEAD, 304, 412 and 416. */
  start: number;
  length: number;
}

/** The request headers it reads, by CGI name (HTTP_IF_NONE_MATCH...), as the listeners give them. */
export type RequestHeaders = ReadonlyMap<string, string>;

const BYTES_RANGE = /^ *bytes=/;

export function respondWithFile(method: string, headers: RequestHeaders, file: FileMeta, nowMs: number): FileResponse {
  const head = ['Content-Type', file.contentType, 'Last-Modified', file.lastModified, 'ETag', file.etag, 'Accept-Ranges', 'bytes'];
  if (file.encoding !== null) head.push('Content-Encoding', file.encoding);
  if (file.varies) head.push('Vary', 'Accept-Encoding');
  if (file.expires !== null) pushExpires(head, file, nowMs);

  if (isConditional(headers)) {
    if (preconditionFails(headers, file)) return { status: 412, headers: head, start: 0, length: 0 };
    const requestHeaders = {
      'if-none-match': headers.get('HTTP_IF_NONE_MATCH'),
      'if-modified-since': headers.get('HTTP_IF_MODIFIED_SINCE'),
      'cache-control': headers.get('HTTP_CACHE_CONTROL'),
    };
    if (fresh(requestHeaders, { etag: file.etag, 'last-modified': file.lastModified })) {
      return { status: 304, headers: head, start: 0, length: 0 };
    }
  }

  let status: 200 | 206 = 200;
  let start = 0;
  let length = file.size;
  const range = headers.get('HTTP_RANGE');
  if (range !== undefined && BYTES_RANGE.test(range)) {
    let ranges = rangeParser(file.size, range, { combine: true });
    if (!rangeIsFresh(headers, file)) ranges = -2;
    if (ranges === -1) {
      head.push('Content-Range', `bytes */${file.size}`);
      return { status: 416, headers: head, start: 0, length: 0 };
    }
    // a malformed Range, or several ranges (no multipart responses), get the whole file, as with send
    if (ranges !== -2 && ranges.length === 1) {
      status = 206;
      start = ranges[0].start;
      length = ranges[0].end - start + 1;
      head.push('Content-Range', `bytes ${start}-${ranges[0].end}/${file.size}`);
    }
  }
  head.push('Content-Length', String(length));
  return { status, headers: head, start, length: method === 'HEAD' ? 0 : length };
}

/** Expires (uWSGI's header), and the Cache-Control max-age nginx's `expires` adds with it. */
function pushExpires(head: string[], file: FileMeta, nowMs: number): void {
  const { seconds, fromMtime } = file.expires!;
  const at = (fromMtime ? file.mtimeMs : nowMs) + seconds * 1000;
  head.push('Expires', new Date(at).toUTCString(), 'Cache-Control', `max-age=${Math.max(0, Math.floor((at - nowMs) / 1000))}`);
}

/** A request whose answer is the whole file whatever its validators: no condition, no Range. */
export function isPlainRequest(headers: RequestHeaders): boolean {
  return !headers.has('HTTP_RANGE') && !isConditional(headers);
}

function isConditional(headers: RequestHeaders): boolean {
  return headers.has('HTTP_IF_MATCH') || headers.has('HTTP_IF_UNMODIFIED_SINCE') ||
    headers.has('HTTP_IF_NONE_MATCH') || headers.has('HTTP_IF_MODIFIED_SINCE');
}

/** If-Match names no current tag, or the file changed after If-Unmodified-Since (send's isPreconditionFailure). */
function preconditionFails(headers: RequestHeaders, file: FileMeta): boolean {
  const match = headers.get('HTTP_IF_MATCH');
  if (match !== undefined) {
    if (match.trim() === '*') return false;
    const bare = file.etag.replace(/^W\//, '');
    return !match.split(',').some((tag) => {
      const t = tag.trim();
      return t === file.etag || t === bare || t === `W/${bare}`;
    });
  }
  const since = headers.get('HTTP_IF_UNMODIFIED_SINCE');
  if (since !== undefined) {
    const date = Date.parse(since);
    if (!Number.isNaN(date)) return Math.floor(file.mtimeMs / 1000) * 1000 > date;
  }
  return false;
}

/** If-Range: the range applies only to the representation it names, by tag or by date (send's isRangeFresh). */
function rangeIsFresh(headers: RequestHeaders, file: FileMeta): boolean {
  const ifRange = headers.get('HTTP_IF_RANGE');
  if (ifRange === undefined) return true;
  if (ifRange.includes('"')) return ifRange.includes(file.etag);
  return Date.parse(file.lastModified) <= Date.parse(ifRange);
}
