// How each worker runs requests concurrently, chosen from threads, gevent and async. uWSGI picks
// one of them silently when several are set; nuwsgi applies the same precedence but says in one
// startup line which mode it chose and which options it ignored:
//   gevent = N        -> gevent: N greenlets per worker (threads and async are ignored)
//   else async = N>1  -> N threads per worker (nuwsgi has no ugreen/suspend engine for async cores)
//   else threads = N  -> N threads per worker (1: the single-threaded worker)
import type { Config } from '../config/config.ts';

export interface ConcurrencyMode {
  /** What the worker's CONFIG says: threads (1 = single-threaded) or gevent greenlets. */
  kind: 'threads' | 'gevent';
  /** Requests a worker runs at once: its cores in the dispatcher. */
  cores: number;
  /** The startup log line. */
  logLine: string;
}

export function concurrencyMode(config: Pick<Config, 'threads' | 'gevent' | 'async'>): ConcurrencyMode {
  const { threads, gevent } = config;
  const asyncCores = config.async;
  if (gevent > 0) {
    const ignored = [threads > 1 ? `threads = ${threads}` : '', asyncCores > 0 ? `async = ${asyncCores}` : ''].filter((s) => s !== '');
    const why = ignored.length === 0 ? '' : `; ${ignored.join(' and ')} ${ignored.length === 1 ? 'is' : 'are'} ignored when gevent is set`;
    return { kind: 'gevent', cores: gevent, logLine: line(`gevent, ${cores(gevent, 'async core')} per worker (gevent = ${gevent}${why})`) };
  }
  if (asyncCores > 1) {
    const ignored = threads > 1 ? `; threads = ${threads} is ignored when async is set` : '';
    return {
      kind: 'threads',
      cores: asyncCores,
      logLine: line(`threaded, ${cores(asyncCores, 'thread')} per worker (async = ${asyncCores}: nuwsgi has no ugreen/suspend ` +
        `engine, so async cores run as threads${ignored})`),
    };
  }
  if (threads > 1) {
    return { kind: 'threads', cores: threads, logLine: line(`threaded, ${cores(threads, 'thread')} per worker (threads = ${threads})`) };
  }
  return { kind: 'threads', cores: 1, logLine: line('single-threaded, 1 request at a time per worker (threads = 1)') };
}

function cores(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function line(text: string): string {
  return `*** Operational MODE: ${text} ***`;
}
