// What the request log line and the counters need of a request the master carried to a worker, in
// the form the workers report the requests they serve themselves (channel/records.ts).
import type { ServedRequest } from '../channel/records.ts';
import type { ParsedRequest } from '../listeners/request.ts';

/** `headers` is the response head's flat [name, value, ...] list, null when none was sent. */
export function servedRequest(request: ParsedRequest, status: number, headers: readonly string[] | null, bodyBytes: number,
  startedMs: number): ServedRequest {
  let headerBytes = 0;
  let headerCount = 0;
  if (headers !== null) {
    headerCount = headers.length >> 1;
    for (let i = 0; i < headers.length; i += 2) headerBytes += headers[i].length + headers[i + 1].length + 4;
  }
  const { remoteAddr, method, uri, protocol, environ } = request;
  return {
    status,
    core: 0,
    headerCount,
    varCount: varCount(environ),
    headerBytes,
    varBytes: environ.length,
    bodyBytes,
    startedMs,
    micros: (Date.now() - startedMs) * 1000,
    remoteAddr, method, uri, protocol,
  };
}

/** uWSGI counts keys and values separately ("{24 vars in 331 bytes}"). */
function varCount(env: string): number {
  let n = 1;
  for (let i = env.indexOf('\0'); i !== -1; i = env.indexOf('\0', i + 1)) n++;
  return n;
}
