// The request log: which finished requests are logged (disable-logging and uWSGI's log-4xx,
// log-5xx, log-slow, log-big, log-zero) and how (the default line, log-format, log-encoder json).
// Everything is decided once, at start; the observer does the filter's comparisons and builds one
// line per request.
import type { ServedRequest } from '../channel/records.ts';
import type { Config } from '../config/config.ts';
import type { FinishedRequest, RequestObserver } from '../router/router.ts';
import { write } from './log.ts';
import { compileLogFormat, loggedAddress, type LineBuilder, type MemoryOf } from './request-format.ts';
import { defaultLine } from './request-line.ts';
import { cachedPerTick } from './strftime.ts';

type LogSettings = Pick<Config, 'disableLogging' | 'log4xx' | 'log5xx' | 'logSlow' | 'logBig' | 'logZero' | 'logMicros' |
  'logFormat' | 'logXForwardedFor' | 'logEncoder'>;

/** Whether any of the options that log requests despite disable-logging is on. */
export function hasLogFilters(config: LogSettings): boolean {
  return config.log4xx || config.log5xx || config.logSlow > 0 || config.logBig > 0 || config.logZero;
}

/** Whether the workers must describe their requests (the strings of REQUEST_DONE). */
export function logsRequests(config: LogSettings): boolean {
  return !config.disableLogging || hasLogFilters(config);
}

/** The vars the request log reads: CONFIG's `log_vars`. */
export function logVars(config: LogSettings): readonly string[] {
  return config.logFormat?.vars ?? [];
}

/**
 * uWSGI's conditional logging (core/logging.c log_request), for disable-logging: a request is still
 * logged when it matches one of the options given. Null when every request is logged.
 */
export function logFilter(config: LogSettings): ((r: ServedRequest) => boolean) | null {
  if (!config.disableLogging) return null;
  const { log4xx, log5xx, logSlow, logBig, logZero } = config;
  return (r) => (logZero && r.bodyBytes === 0) ||
    (logSlow > 0 && r.micros / 1000 >= logSlow) ||
    (log4xx && r.status >= 400 && r.status <= 499) ||
    (log5xx && r.status >= 500 && r.status <= 599) ||
    (logBig > 0 && r.bodyBytes >= logBig);
}

/** The request line's builder (without its newline). */
export function lineBuilder(config: LogSettings, memory: MemoryOf): LineBuilder {
  const forwardedFor = config.logXForwardedFor;
  const text = config.logFormat === undefined
    ? defaultLine(config.logMicros, forwardedFor)
    : compileLogFormat(config.logFormat, { memory, forwardedFor, logVars: logVars(config) });
  if (config.logEncoder !== 'json') return text;
  const withMessage = config.logFormat !== undefined;
  return (f, r) => requestJson(f, r, forwardedFor, withMessage ? text(f, r) : undefined);
}

/** The request's start in ISO 8601, cached: a busy server starts many requests in the same millisecond. */
const isoTime = cachedPerTick(1, (ms) => new Date(ms).toISOString());

/**
 * The JSON request object (docs/compat.md, "JSON log"): fixed fields, in this order. Written as a
 * string with only the strings escaped (by JSON.stringify), which costs a third of stringifying an
 * object on every request.
 */
export function requestJson(f: FinishedRequest, r: ServedRequest, forwardedFor: boolean, msg: string | undefined): string {
  return `{"type":"request","time":"${isoTime(r.startedMs)}","pid":${f.server?.pid ?? process.pid},` +
    `"worker":${f.server?.slot ?? 0},"core":${r.core},"req":${f.server?.requestsServed ?? 0},"total":${f.total},` +
    `"addr":${JSON.stringify(loggedAddress(r, forwardedFor))},"method":${JSON.stringify(r.method)},` +
    `"uri":${JSON.stringify(r.uri)},"proto":${JSON.stringify(r.protocol)},"status":${r.status},"size":${r.bodyBytes},` +
    `"headers":${r.headerCount},"header_bytes":${r.headerBytes},"vars":${r.varCount},"var_bytes":${r.varBytes},` +
    `"micros":${Math.round(r.micros)}${msg === undefined ? '' : `,"msg":${JSON.stringify(msg)}`}}`;
}

/** The router's observer that writes the request log, or undefined when no request is to be logged. */
export function requestLogObserver(config: LogSettings, memory: MemoryOf): RequestObserver | undefined {
  if (!logsRequests(config)) return undefined;
  const filter = logFilter(config);
  const line = lineBuilder(config, memory);
  return (finished: FinishedRequest) => {
    const r = finished.details();
    if (r === undefined || (filter !== null && !filter(r))) return;
    write(line(finished, r) + '\n');
  };
}
