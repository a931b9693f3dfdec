// The request log line in uWSGI's default format, for every finished request the router reports,
// whichever listener or worker served it.
import type { ServedRequest } from '../channel/records.ts';
import type { FinishedRequest } from '../router/router.ts';
import { ctime } from './log.ts';
import { loggedAddress, type LineBuilder } from './request-format.ts';

/**
 * uWSGI's default request line (core/logging.c uwsgi_logit_simple), so that log parsers written for
 * uWSGI keep working, without its newline:
 * [pid: 7|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 331 bytes} [Tue May 19 20:14:38 2020] GET / => generated 13 bytes in 1 msecs (HTTP/1.1 200) 2 headers in 64 bytes (1 switches on core 0)
 * With `micros` (log-micros) the time is in microseconds, and the word is `micros`.
 */
export function defaultLine(micros: boolean, forwardedFor: boolean): LineBuilder {
  const unit = micros ? 'micros' : 'msecs';
  const divisor = micros ? 1 : 1000;
  return (request: FinishedRequest, r: ServedRequest): string => {
    const server = request.server;
    return `[pid: ${server?.pid ?? 0}|app: 0|req: ${server?.requestsServed ?? 0}/${request.total}] ${loggedAddress(r, forwardedFor)} () ` +
      `{${r.varCount} vars in ${r.varBytes} bytes} [${ctime(r.startedMs)}] ${r.method} ${r.uri} => ` +
      `generated ${r.bodyBytes} bytes in ${Math.round(r.micros / divisor)} ${unit} (${r.protocol} ${r.status}) ` +
      `${r.headerCount} headers in ${r.headerBytes} bytes (1 switches on core ${r.core})`;
  };
}
