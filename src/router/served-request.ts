// What the request log line and the counters need of a request the master answered (a worker's
// response it carried, or a static file), in the form the workers report the requests they serve
// themselves (channel/records.ts).
import { STATUS_CODES } from 'node:http';
import type { ServedRequest } from '../channel/records.ts';
import { environVarCount, headBytes } from '../listeners/environ.ts';
import type { ParsedRequest } from '../listeners/request.ts';

/**
 * `headers` is the response head's flat [name, value, ...] list, null when none was sent. The head's
 * bytes are counted as uWSGI counts them: the status line (`reason` its phrase), the fields and the
 * blank line.
 */
export function servedRequest(request: ParsedRequest, status: number, headers: readonly string[] | null, bodyBytes: number,
  startedMs: number, reason?: string): ServedRequest {
  const head = headers ?? [];
  const { remoteAddr, method, uri, protocol, environ } = request;
  return {
    status,
    core: 0,
    headerCount: head.length >> 1,
    varCount: environVarCount(environ),
    headerBytes: headers === null ? 0
      : headBytes(head) + request.protocol.length + (reason || STATUS_CODES[status] || '').length + 9,
    varBytes: environ.length,
    bodyBytes,
    startedMs,
    micros: (Date.now() - startedMs) * 1000,
    remoteAddr, method, uri, protocol,
    source: request,
    forwardedFor: request.forwardedFor,
  };
}
