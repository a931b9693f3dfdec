// The options of serving requests: the largest head and body accepted, post-buffering, keep-alive,
// request logging and tracebacks; and of the workers' lives outside supervision: the mercy they
// get to finish, SIGTERM, the respawn delay, autoreloading. Part of the option table (options.ts).
// Names and defaults follow uWSGI 2.0 (core/uwsgi.c, plugins/http/http.c).
import type { OptionSpec } from './option-spec.ts';

const MiB = 1024 * 1024;
/** http-keepalive's default: the idle timeout, in seconds, of keep-alive HTTP connections. */
const KEEPALIVE_SECONDS = 75;

/**
 * uWSGI reads http-keepalive as 0 = off, 1 = on (a bare --http-keepalive is 1), N > 1 = the idle
 * timeout in seconds. nuwsgi keeps connections alive by default, so "on" means the default timeout.
 */
function keepaliveTimeout(seconds: number): number {
  return seconds === 1 ? KEEPALIVE_SECONDS : seconds;
}

export const SERVING_OPTIONS = [
  {
    // uWSGI 2.0 silently clamps buffer-size to 65535; nuwsgi accepts up to 1 MiB and refuses more.
    name: 'buffer-size',
    field: 'bufferSize',
    restart: true,
    aliases: [],
    short: 'b',
    kind: 'size',
    arg: 'required',
    default: 4096,
    min: 1,
    max: MiB,
    placeholder: 'BYTES',
    help: 'largest request head accepted, in bytes',
    expected: 'a whole number of bytes up to 1048576 (1 MiB), e.g. --buffer-size 32768',
  },
  {
    // nuwsgi's own (uWSGI has none; gunicorn's limit_request_fields, with the same default)
    name: 'http-max-headers',
    field: 'httpMaxHeaders',
    restart: true,
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 100,
    min: 1,
    max: 10000,
    placeholder: 'N',
    help: 'most header fields an HTTP request may have; more get 431',
    expected: 'a whole number from 1 to 10000, e.g. --http-max-headers 200',
  },
  {
    name: 'limit-post',
    field: 'limitPost',
    restart: true,
    aliases: [],
    kind: 'size',
    arg: 'required',
    default: 0,
    placeholder: 'BYTES',
    help: 'largest request body accepted, in bytes; larger ones get 413 (0: no limit)',
    expected: 'a whole number of bytes, e.g. --limit-post 10485760',
  },
  {
    name: 'post-buffering',
    field: 'postBuffering',
    restart: true,
    aliases: [],
    kind: 'size',
    arg: 'required',
    default: 0,
    placeholder: 'BYTES',
    help: 'receive each request body before the app runs: in memory up to BYTES, else in a temporary file (0: stream it)',
    expected: 'a whole number of bytes, e.g. --post-buffering 65536',
  },
  {
    // uWSGI's read size while post-buffering; the master reads as the socket delivers.
    name: 'post-buffering-bufsize',
    aliases: [],
    kind: 'size',
    arg: 'required',
    default: 0,
    placeholder: 'BYTES',
    help: 'accepted for compatibility, no effect',
    expected: 'a whole number of bytes, e.g. --post-buffering-bufsize 8192',
  },
  {
    name: 'disable-logging',
    field: 'disableLogging',
    restart: true,
    aliases: [],
    short: 'L',
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'do not log requests',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    // uWSGI 2.0 reloads on SIGTERM unless this is set; SIGTERM always shuts nuwsgi down gracefully,
    // so the flag changes nothing and is accepted for the configs that carry it.
    name: 'die-on-term',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'accepted for uWSGI configs: SIGTERM always means a graceful shutdown in nuwsgi',
    expected: 'no value, or =false/off/no/0',
  },
  {
    name: 'catch-exceptions',
    field: 'catchExceptions',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'show the traceback in the body of a 500 response',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'worker-reload-mercy',
    field: 'workerReloadMercy',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 60,
    placeholder: 'SECONDS',
    help: 'seconds in-flight requests get to finish on reload or shutdown',
    expected: 'a whole number of seconds, e.g. --worker-reload-mercy 30',
  },
  {
    name: 'http-keepalive',
    field: 'httpKeepalive',
    restart: true,
    aliases: [],
    kind: 'int',
    arg: 'optional',
    default: KEEPALIVE_SECONDS,
    convert: keepaliveTimeout,
    placeholder: 'SECONDS',
    help: 'idle timeout of keep-alive HTTP connections, in seconds (=0: off; =1 or no value: the default)',
    expected: 'a whole number of seconds, attached with =, e.g. --http-keepalive=30',
  },
  {
    name: 'forkbomb-delay',
    field: 'forkbombDelay',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 2,
    placeholder: 'SECONDS',
    help: 'seconds to wait before respawning workers that keep dying at startup',
    expected: 'a whole number of seconds, e.g. --forkbomb-delay 5',
  },
  {
    name: 'py-autoreload',
    field: 'pyAutoreload',
    aliases: ['py-auto-reload', 'python-autoreload', 'python-auto-reload'],
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'SECONDS',
    help: "check the app's Python files every N seconds and replace a worker whose code changed (0: off)",
    expected: 'a whole number of seconds, e.g. --py-autoreload 2',
  },
] as const satisfies readonly OptionSpec[];
