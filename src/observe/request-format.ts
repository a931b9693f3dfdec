// `log-format` at work: the template parsed at load (config/log-format.ts) compiled once, at start,
// into one function per variable, so that a request line costs the concatenation of its pieces.
// A missing or empty value is written `-`, as uWSGI does.
import type { RequestVarSource, ServedRequest } from '../channel/records.ts';
import type { LogFormat, LogFormatPart } from '../config/log-format.ts';
import type { FinishedRequest } from '../router/router.ts';
import { ctime } from './log.ts';
import { cachedPerTick, strftime } from './strftime.ts';

/** A process's memory in bytes (master/stats/memory.ts reads /proc), undefined when unknown. */
export type MemoryOf = (pid: number) => { rss: number; vsz: number } | undefined;

export interface FormatContext {
  memory: MemoryOf;
  /** log-x-forwarded-for: a trusted proxy's X-Forwarded-For is the address. */
  forwardedFor: boolean;
  /** The vars the workers send, in the order of their records (LogFormat.vars). */
  logVars: readonly string[];
}

export type LineBuilder = (finished: FinishedRequest, r: ServedRequest) => string;
type Piece = (finished: FinishedRequest, r: ServedRequest) => string;

const MIB = 1024 * 1024;

/** The function that writes a request line (without its newline) by `format`. */
export function compileLogFormat(format: LogFormat, context: FormatContext): LineBuilder {
  const mem = memoryOfLine(context.memory);
  const pieces = format.parts.map((part) => piece(part, context, mem));
  if (pieces.length === 1) return pieces[0];
  return (finished, r) => {
    let line = '';
    for (let i = 0; i < pieces.length; i++) line += pieces[i](finished, r);
    return line;
  };
}

function dash(value: string | undefined): string {
  return value === undefined || value === '' ? '-' : value;
}

/** The address a request is logged with. */
export function loggedAddress(r: ServedRequest, forwardedFor: boolean): string {
  return forwardedFor && r.forwardedFor !== undefined ? r.forwardedFor : r.remoteAddr;
}

function piece(part: LogFormatPart, context: FormatContext, mem: (f: FinishedRequest) => { rss: number; vsz: number }): Piece {
  if (part.kind === 'text') {
    const text = part.text;
    return () => text;
  }
  if (part.kind === 'var') {
    const names = part.vars;
    const indexes = names.map((name) => context.logVars.indexOf(name));
    const missing = part.name === 'cl' ? '0' : '-';
    return (_f, r) => {
      for (let i = 0; i < names.length; i++) {
        const value = requestVar(r, names[i], indexes[i]);
        if (value !== undefined && value !== '') return value;
      }
      return missing;
    };
  }
  switch (part.name) {
    case 'uri': return (_f, r) => dash(r.uri);
    case 'method': return (_f, r) => dash(r.method);
    case 'addr': {
      const xff = context.forwardedFor;
      return (_f, r) => dash(loggedAddress(r, xff));
    }
    case 'proto': return (_f, r) => dash(r.protocol);
    case 'status': return (_f, r) => String(r.status);
    case 'rsize': return (_f, r) => String(r.bodyBytes);
    case 'hsize': return (_f, r) => String(r.headerBytes);
    case 'size': return (_f, r) => String(r.bodyBytes + r.headerBytes);
    case 'micros': return (_f, r) => String(Math.floor(r.micros));
    case 'msecs': return (_f, r) => String(Math.floor(r.micros / 1000));
    case 'secs': return (_f, r) => (r.micros / 1e6).toFixed(6);
    case 'tmsecs': return (_f, r) => String(Math.floor(r.startedMs));
    case 'tmicros': return (_f, r) => String(Math.floor(r.startedMs * 1000));
    case 'time': return (_f, r) => String(Math.floor(r.startedMs / 1000));
    case 'ltime': return (_f, r) => apacheTime(r.startedMs);
    case 'ctime': return (_f, r) => ctime(r.startedMs);
    case 'epoch': return () => String(Math.floor(Date.now() / 1000));
    case 'pid': return (f) => String(f.server?.pid ?? process.pid);
    case 'wid': return (f) => String(f.server?.slot ?? 0);
    case 'switches': return () => '1';
    case 'core': return (_f, r) => String(r.core);
    case 'vars': return (_f, r) => String(r.varCount);
    case 'pktsize': return (_f, r) => String(r.varBytes);
    case 'modifier1': return () => '0';
    case 'modifier2': return () => '0';
    case 'headers': return (_f, r) => String(r.headerCount);
    case 'rss': return (f) => String(mem(f).rss);
    case 'vsz': return (f) => String(mem(f).vsz);
    case 'rssM': return (f) => String(Math.floor(mem(f).rss / MIB));
    case 'vszM': return (f) => String(Math.floor(mem(f).vsz / MIB));
  }
}

/**
 * The serving process's memory for a line: read from /proc once per request, however many of rss,
 * vsz, rssM and vszM the format has.
 */
function memoryOfLine(memory: MemoryOf): (f: FinishedRequest) => { rss: number; vsz: number } {
  let line: FinishedRequest | undefined;
  let value = { rss: 0, vsz: 0 };
  return (f) => {
    if (f !== line) {
      value = memory(f.server?.pid ?? process.pid) ?? { rss: 0, vsz: 0 };
      line = f;
    }
    return value;
  };
}

/** A request var: from the worker's record (`index` in its log vars), or the master's parsed request. */
export function requestVar(r: ServedRequest, name: string, index: number): string | undefined {
  if (r.vars !== undefined) return index === -1 ? undefined : r.vars[index];
  return r.source === undefined ? undefined : sourceVar(r.source, name);
}

/** A var of a request the master parsed: a header by its CGI name, else the environ block's. */
export function sourceVar(source: RequestVarSource, name: string): string | undefined {
  const header = source.headers.get(name);
  if (header !== undefined) return header;
  const block = source.environ;
  let at = 0;
  while (at < block.length) {
    const keyEnd = block.indexOf('\0', at);
    if (keyEnd === -1) return undefined;
    let valueEnd = block.indexOf('\0', keyEnd + 1);
    if (valueEnd === -1) valueEnd = block.length;
    if (keyEnd - at === name.length && block.startsWith(name, at)) return block.slice(keyEnd + 1, valueEnd);
    at = valueEnd + 1;
  }
  return undefined;
}

/** `%d/%b/%Y:%H:%M:%S %z`, local time, cached per second. */
export const apacheTime = cachedPerTick(1000, (ms) => strftime('%d/%b/%Y:%H:%M:%S %z', ms));
