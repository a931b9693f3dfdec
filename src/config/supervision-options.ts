// The options of supervision: reloads, recycling, harakiri, the master's control points (pidfiles,
// master-fifo, --reload/--stop) and where the log goes. Part of the option table (options.ts);
// src/master/ carries them out. Names and defaults follow uWSGI 2.0 (core/uwsgi.c).
//
// The helpers below build the common shapes; an entry that fills a Config field spreads one and
// adds its `field`. Each helper returns its kind's spec type, which tells the compile-time check
// in options.ts what the entry fills its field with.
import type { FlagSpec, ListSpec, NumberSpec, OptionSpec, StringSpec } from './option-spec.ts';

function seconds(name: string, aliases: string[], fallback: number, help: string, example: number, short?: string): NumberSpec {
  return {
    name,
    aliases,
    ...(short === undefined ? {} : { short }),
    kind: 'int',
    arg: 'required',
    default: fallback,
    placeholder: 'SECONDS',
    help,
    expected: `a whole number of seconds, e.g. --${name} ${example}`,
  };
}

function count(name: string, help: string, example: number, short?: string): NumberSpec {
  return {
    name,
    aliases: [],
    ...(short === undefined ? {} : { short }),
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'N',
    help,
    expected: `a whole number, e.g. --${name} ${example}`,
  };
}

function files(name: string, help: string): ListSpec {
  return {
    name,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'FILE',
    help,
    expected: `a file name, e.g. --${name} /srv/app/reload.txt`,
  };
}

function file(name: string, aliases: string[], help: string, options: { short?: string; commandLineOnly?: boolean } = {}): StringSpec {
  return {
    name,
    aliases,
    ...options,
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'FILE',
    help,
    expected: `a file name, e.g. --${name} /run/app.pid`,
  };
}

function flag(name: string, help: string): FlagSpec {
  return {
    name,
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help,
    expected: 'no value, or =false/off/no/0',
  };
}

export const SUPERVISION_OPTIONS = [
  {
    ...seconds('harakiri', [], 0, 'a request running longer than this gets 504 and its worker is replaced (0: off)', 30, 't'),
    field: 'harakiri',
  },
  { ...flag('harakiri-verbose', "on harakiri, also log the worker's current syscall and wchan (from /proc)"), field: 'harakiriVerbose' },
  {
    ...seconds('harakiri-graceful-timeout', [], 0,
      'on harakiri, send --harakiri-graceful-signal first and SIGKILL only this many seconds later (0: SIGKILL once the other requests are done)', 5),
    field: 'harakiriGracefulTimeout',
  },
  {
    name: 'harakiri-graceful-signal',
    field: 'harakiriGracefulSignal',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 15,
    min: 1,
    max: 64,
    placeholder: 'SIGNUM',
    help: 'the signal number sent first on harakiri when --harakiri-graceful-timeout is set (default 15, SIGTERM)',
    expected: 'a signal number, e.g. --harakiri-graceful-signal 6',
  },
  { ...count('max-requests', 'replace a worker after it served this many requests (0: never)', 1000, 'R'), field: 'maxRequests' },
  {
    ...count('max-requests-delta', 'add worker id times this to --max-requests, so that workers are not replaced all at once', 50),
    field: 'maxRequestsDelta',
  },
  {
    ...count('max-requests-jitter', 'add a random 0..N to --max-requests per worker (gunicorn\'s --max-requests-jitter)', 50),
    field: 'maxRequestsJitter',
  },
  {
    ...seconds('min-worker-lifetime', [], 60, 'a worker is never replaced by the limits before it lived this long', 10),
    field: 'minWorkerLifetime',
  },
  { ...seconds('max-worker-lifetime', [], 0, 'replace a worker after it lived this long (0: never)', 3600), field: 'maxWorkerLifetime' },
  {
    ...seconds('max-worker-lifetime-delta', [], 0, 'add worker id times this to --max-worker-lifetime', 30),
    field: 'maxWorkerLifetimeDelta',
  },
  {
    name: 'reload-on-rss',
    field: 'reloadOnRss',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'MEGABYTES',
    help: 'replace a worker whose resident memory exceeds this many MiB, as the master measures it (0: never)',
    expected: 'a whole number of megabytes, e.g. --reload-on-rss 512',
  },
  {
    ...seconds('check-interval', [], 1, 'how often the master checks harakiri, lifetimes, memory and touch files', 1),
    field: 'checkInterval',
    // 0 is accepted and read as 1: the master's checks run on a timer of this many seconds.
    convert: (seconds: number) => Math.max(1, seconds),
  },
  {
    ...files('touch-reload', 'reload gracefully (all workers, re-reading the configuration) when FILE is touched (repeatable)'),
    field: 'touchReload',
  },
  { ...files('touch-chain-reload', 'replace the workers one at a time when FILE is touched (repeatable)'), field: 'touchChainReload' },
  {
    ...files('touch-workers-reload', 'replace every worker gracefully, without re-reading the configuration, when FILE is touched (repeatable)'),
    field: 'touchWorkersReload',
  },
  {
    ...flag('lazy-apps', 'every worker imports the apps itself, instead of being forked from one process that imported them once'),
    field: 'lazyApps',
  },
  { ...flag('lazy', 'the same as lazy-apps (uWSGI 2.0 reads it as lazy-apps plus reloads of the workers only)'), field: 'lazy' },
  {
    ...files('master-fifo', "read one-letter commands (uWSGI's master FIFO: r w c q Q s p + - ...) from this FIFO; repeatable, the first one is active"),
    field: 'masterFifo',
    restart: true,
  },
  { ...file('pidfile', [], "write the master's pid to FILE before dropping privileges"), field: 'pidfile', restart: true },
  { ...file('pidfile2', [], "write the master's pid to FILE after dropping privileges"), field: 'pidfile2', restart: true },
  { ...file('daemonize', [], 'detach from the terminal and log to FILE', { short: 'd' }), field: 'daemonize', restart: true },
  { ...file('logto', [], 'log to FILE instead of stderr'), field: 'logto', restart: true },
  file('reload', [], 'gracefully reload the server whose pidfile is FILE (SIGHUP), then exit', { commandLineOnly: true }),
  file('stop', [], 'gracefully stop the server whose pidfile is FILE (SIGTERM), then exit', { commandLineOnly: true }),
] as const satisfies readonly OptionSpec[];
