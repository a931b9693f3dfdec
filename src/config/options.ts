// The option table: the one description of every option nuwsgi understands. The command line,
// UWSGI_* environment variables, configuration files (ini/json/yaml), `--help` (and later the
// options reference in docs/) are all driven by it. Adding an option means adding one entry here;
// the options that steer the reading of the configuration itself are in loading-options.ts.
//
// Names, aliases, short letters and defaults follow uWSGI 2.0 (core/uwsgi.c, plugins/python/
// python_plugin.c, plugins/http/http.c).
import { addressEntryProblem } from './address-list.ts';
import { LOADING_OPTIONS } from './loading-options.ts';
import { SUPERVISION_OPTIONS } from './supervision-options.ts';
import { pluginListProblem } from './plugins.ts';

/**
 * How a value is read (see values.ts):
 * - `flag`: true unless the value is false/off/no (any case) or exactly 0; no value means true.
 * - `int`: a non-negative whole number; with `arg: 'optional'`, no value means 1 (uWSGI's rule).
 * - `size`: a number of bytes, written as a plain whole number (uWSGI takes no k/m suffixes).
 * - `string`: a single value; the last one given wins.
 * - `list`: every occurrence is kept, in order.
 */
export type OptionKind = 'flag' | 'int' | 'size' | 'string' | 'list';

/**
 * Whether the option takes a value on the command line (getopt_long's three cases):
 * - `none`: never (`--help`).
 * - `required`: `--opt VALUE`, `--opt=VALUE`, `-o VALUE`, `-oVALUE`.
 * - `optional`: only attached, `--opt` or `--opt=VALUE` (a bare `--opt` never takes the next
 *   argument). A flag's short letter never takes a value, so `-Mp 4` is `-M -p 4`.
 */
export type ArgumentRule = 'none' | 'required' | 'optional';

interface CommonSpec {
  /** The canonical name: `--name` on the command line, `UWSGI_NAME` in the environment. */
  name: string;
  /** Other long names that mean the same option (uWSGI's duplicated table rows). */
  aliases: readonly string[];
  /** A one-letter short form, used as `-x`. */
  short?: string;
  arg: ArgumentRule;
  /** One line for `--help`. */
  help: string;
  /** The expected form, for `--help` and error messages: "a whole number, e.g. --processes 4". */
  expected: string;
  /** The value's name in `--help` (`--http ADDR`); defaults to one derived from the kind. */
  placeholder?: string;
  /** Asks for something other than configuration (`--help`); ignored outside the command line. */
  commandLineOnly?: boolean;
  /**
   * Acts as soon as it is read (uWSGI's UWSGI_OPT_IMMEDIATE), so $(VAR), @(file) and %(name) are
   * never expanded in its value.
   */
  immediate?: boolean;
  /** What an optional value means when it is left out (`--chmod-socket` alone is 666). */
  bare?: string;
}

/** Why a string or list value is unusable (a sentence for the error message), or undefined. */
export type ValueCheck = (text: string) => string | undefined;

export type OptionSpec =
  | (CommonSpec & { kind: 'flag'; default: boolean })
  | (CommonSpec & { kind: 'int' | 'size'; default: number; min?: number; max?: number })
  | (CommonSpec & { kind: 'string'; default: string | undefined; pattern?: RegExp; check?: ValueCheck })
  | (CommonSpec & { kind: 'list'; default: readonly string[]; pattern?: RegExp; check?: ValueCheck });

const MiB = 1024 * 1024;

export const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'http',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: 'add an HTTP/1.1 listener on ADDR (repeatable)',
    expected: 'an address such as :8000, 127.0.0.1:8000 or [::1]:8000, e.g. --http 127.0.0.1:8000',
  },
  {
    name: 'socket',
    aliases: [],
    short: 's',
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: 'add a listener speaking --protocol (uwsgi unless told otherwise) on ADDR (repeatable)',
    expected: 'HOST:PORT, :PORT, a unix socket path or @abstract-name, e.g. --socket /run/app.sock',
  },
  {
    name: 'uwsgi-socket',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: "add a listener speaking the uwsgi protocol (nginx's uwsgi_pass) on ADDR (repeatable)",
    expected: 'HOST:PORT, :PORT, a unix socket path or @abstract-name, e.g. --uwsgi-socket 127.0.0.1:3031',
  },
  {
    name: 'http-socket',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'ADDR',
    help: 'add an HTTP/1.1 listener on ADDR, which may be a unix socket (repeatable)',
    expected: 'HOST:PORT, :PORT, a unix socket path or @abstract-name, e.g. --http-socket /run/app.sock',
  },
  {
    name: 'protocol',
    aliases: ['socket-protocol'],
    kind: 'string',
    arg: 'required',
    default: 'uwsgi',
    pattern: /^(?:uwsgi|http)$/,
    placeholder: 'NAME',
    help: 'what --socket listeners speak: uwsgi or http',
    expected: 'uwsgi or http, e.g. --protocol=http',
  },
  {
    // uWSGI refuses a backlog above net.core.somaxconn at startup; so does nuwsgi (arbiter.ts).
    name: 'listen',
    aliases: [],
    short: 'l',
    kind: 'int',
    arg: 'required',
    default: 100,
    min: 1,
    placeholder: 'N',
    help: 'listen queue (backlog) of every listener, at most net.core.somaxconn',
    expected: 'a whole number, e.g. --listen 1024',
  },
  {
    name: 'chmod-socket',
    aliases: ['chmod'],
    short: 'C',
    kind: 'string',
    arg: 'optional',
    bare: '666',
    default: undefined,
    pattern: /^(?:[0-7]{3}|1)$/,
    placeholder: 'MODE',
    help: 'set the permissions of unix socket files (no value, or 1: 666)',
    expected: 'three octal digits, attached with =, e.g. --chmod-socket=660',
  },
  {
    name: 'chown-socket',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    pattern: /^[^:]+(?::[^:]+)?$/,
    placeholder: 'USER[:GROUP]',
    help: 'set the owner (and group) of unix socket files',
    expected: 'a user, optionally with :group, as names or numbers, e.g. --chown-socket www-data:www-data',
  },
  {
    name: 'vacuum',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'remove the unix socket files on exit (unless another server replaced them)',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'socket-timeout',
    aliases: [],
    short: 'z',
    kind: 'int',
    arg: 'required',
    default: 4,
    min: 1,
    placeholder: 'SECONDS',
    help: 'seconds a uwsgi connection gets to send its request head, and to send more of its body',
    expected: 'a whole number of seconds, e.g. --socket-timeout 10',
  },
  {
    name: 'uwsgi-allow',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: ['127.0.0.0/8', '::1'],
    check: addressEntryProblem,
    placeholder: 'ADDR[/BITS]',
    help: 'peers allowed to connect to TCP uwsgi sockets; giving it replaces the default (repeatable)',
    expected: 'an IP address or network, e.g. --uwsgi-allow 10.0.0.0/8 (0.0.0.0/0 and ::/0 allow everyone)',
  },
  {
    name: 'trusted-proxy',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: addressEntryProblem,
    placeholder: 'ADDR[/BITS]',
    help: 'a proxy whose X-Forwarded-For and X-Forwarded-Proto are believed (repeatable)',
    expected: 'an IP address or network, or unix for peers on unix sockets, e.g. --trusted-proxy 10.0.0.2',
  },
  {
    name: 'uid',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'USER',
    help: 'run the master and the workers as this user once the listeners are bound',
    expected: 'a user name or number, e.g. --uid www-data',
  },
  {
    name: 'gid',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'GROUP',
    help: 'run the master and the workers with this group once the listeners are bound',
    expected: 'a group name or number, e.g. --gid www-data',
  },
  {
    name: 'wsgi-file',
    aliases: ['file'],
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'FILE',
    help: 'load the WSGI application from a Python file',
    expected: 'a path to a Python file, e.g. --wsgi-file app.py',
  },
  {
    name: 'module',
    aliases: ['wsgi'],
    short: 'w',
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'MODULE',
    help: 'load the WSGI application from a module: pkg.mod, pkg.mod:callable or pkg.mod:factory()',
    expected: 'a module path, optionally with :callable, e.g. --module mysite.wsgi:application',
  },
  {
    name: 'callable',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: 'application',
    placeholder: 'NAME',
    help: 'name of the WSGI callable in the module or file',
    expected: 'a Python name, e.g. --callable app',
  },
  {
    name: 'mount',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    // Split at the first '=': the mountpoint, then a .py/.wsgi file or a module (pkg.mod[:callable]).
    pattern: /^[^=]+=./,
    placeholder: 'MOUNTPOINT=APP',
    help: 'load another app for requests under MOUNTPOINT: a .py/.wsgi file or pkg.mod[:callable] (repeatable)',
    expected: 'MOUNTPOINT=APP, where APP is a .py/.wsgi file or pkg.mod[:callable], e.g. --mount /admin=admin.py',
  },
  {
    name: 'manage-script-name',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'pick the --mount app by the longest mountpoint prefixing PATH_INFO, moving that prefix to SCRIPT_NAME',
    expected: 'no value, or =false/off/no/0',
  },
  {
    name: 'processes',
    aliases: ['workers'],
    short: 'p',
    kind: 'int',
    arg: 'required',
    default: 1,
    min: 1,
    placeholder: 'N',
    help: 'number of Python worker processes',
    expected: 'a whole number, e.g. --processes 4',
  },
  {
    name: 'threads',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 1,
    min: 1,
    placeholder: 'N',
    help: 'requests each worker runs at once, each in its own thread (see gevent and async)',
    expected: 'a whole number, e.g. --threads 8',
  },
  {
    name: 'gevent',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'N',
    help: 'run each worker under gevent (monkey-patched) with N concurrent requests as greenlets',
    expected: 'a whole number, e.g. --gevent 100',
  },
  {
    name: 'async',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'N',
    help: 'N async cores per worker; nuwsgi runs them as threads (it has no ugreen/suspend engine)',
    expected: 'a whole number, e.g. --async 100',
  },
  {
    name: 'enable-threads',
    aliases: [],
    short: 'T',
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: "accepted for uWSGI configs: the app's own threads always run, as in uWSGI >= 2.0.27",
    expected: 'no value, or =false/off/no/0',
  },
  {
    name: 'master',
    aliases: [],
    short: 'M',
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'nuwsgi always runs a master; this only makes uwsgi.masterpid() non-zero, as in uWSGI',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'chdir',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'DIR',
    help: 'run the master and the workers in DIR',
    expected: 'a directory, e.g. --chdir /srv/app',
  },
  {
    name: 'chdir2',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'DIR',
    help: 'change the workers to DIR once the apps are loaded',
    expected: 'a directory, e.g. --chdir2 /srv/data',
  },
  {
    name: 'home',
    aliases: ['virtualenv', 'venv', 'pyhome'],
    short: 'H',
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'DIR',
    help: "run the workers with this virtualenv's Python interpreter",
    expected: 'a virtualenv directory, e.g. --home /srv/app/venv',
  },
  {
    name: 'pythonpath',
    aliases: ['python-path', 'pp'],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'DIR',
    help: 'prepend a directory (globs allowed) to sys.path (repeatable)',
    expected: 'a directory or glob, e.g. --pythonpath /srv/app/lib',
  },
  {
    name: 'env',
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    // As uWSGI's putenv(): KEY=VALUE sets KEY, a KEY alone removes it, and an empty value (a blank
    // line of a for-readline file) does nothing.
    pattern: /^(?!=)/,
    placeholder: 'KEY=VALUE',
    help: 'set an environment variable for the application (KEY alone removes it; repeatable)',
    expected: 'KEY=value, or KEY alone to remove it, e.g. --env DJANGO_SETTINGS_MODULE=mysite.settings',
  },
  {
    // uWSGI 2.0 silently clamps buffer-size to 65535; nuwsgi accepts up to 1 MiB and refuses more.
    name: 'buffer-size',
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
    name: 'limit-post',
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
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'show the traceback in the body of a 500 response',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'worker-reload-mercy',
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 60,
    placeholder: 'SECONDS',
    help: 'seconds in-flight requests get to finish on reload or shutdown',
    expected: 'a whole number of seconds, e.g. --worker-reload-mercy 30',
  },
  {
    // uWSGI reads this as 0 = off, 1 = on, N > 1 = idle timeout; see resolve.ts.
    name: 'http-keepalive',
    aliases: [],
    kind: 'int',
    arg: 'optional',
    default: 75,
    placeholder: 'SECONDS',
    help: 'idle timeout of keep-alive HTTP connections, in seconds (=0: off; =1 or no value: the default)',
    expected: 'a whole number of seconds, attached with =, e.g. --http-keepalive=30',
  },
  {
    name: 'forkbomb-delay',
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
    aliases: ['py-auto-reload', 'python-autoreload', 'python-auto-reload'],
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'SECONDS',
    help: "check the app's Python files every N seconds and replace a worker whose code changed (0: off)",
    expected: 'a whole number of seconds, e.g. --py-autoreload 2',
  },
  {
    name: 'plugins',
    aliases: ['plugin'],
    kind: 'list',
    arg: 'required',
    default: [],
    immediate: true,
    check: pluginListProblem,
    placeholder: 'NAMES',
    help: 'accepted for python, python3, pythonNN, http and gevent, which are built in (no effect)',
    expected: 'a comma-separated list of python, python3, pythonNN, http or gevent, e.g. --plugins python3',
  },
  {
    name: 'strict',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    immediate: true,
    help: 'refuse keys that name no option in configuration files, instead of keeping them as placeholders',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  ...SUPERVISION_OPTIONS,
  ...LOADING_OPTIONS,
  {
    name: 'help',
    aliases: ['usage'],
    short: 'h',
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: 'show this help and exit',
    expected: 'no value',
  },
  {
    name: 'version',
    aliases: [],
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: 'print the version and exit',
    expected: 'no value',
  },
  {
    name: 'show-config',
    aliases: [],
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: 'print the configuration as resolved, as an INI file, and exit',
    expected: 'no value',
  },
  {
    name: 'check',
    aliases: [],
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: "check the configuration and exit: 0 and 'configuration OK', or 1 and the errors (or: nuwsgi check ...)",
    expected: 'no value',
  },
];

const byLongName = new Map<string, OptionSpec>();
const byShortLetter = new Map<string, OptionSpec>();
for (const option of OPTIONS) {
  for (const name of [option.name, ...option.aliases]) {
    if (byLongName.has(name)) throw new Error(`option table: --${name} is defined twice`);
    byLongName.set(name, option);
  }
  if (option.short !== undefined) {
    if (byShortLetter.has(option.short)) throw new Error(`option table: -${option.short} is defined twice`);
    byShortLetter.set(option.short, option);
  }
}

/** The option called `name` (canonical or alias, without dashes), if there is one. */
export function findOption(name: string): OptionSpec | undefined {
  return byLongName.get(name);
}

/** The option whose short form is `-letter`, if there is one. */
export function findShortOption(letter: string): OptionSpec | undefined {
  return byShortLetter.get(letter);
}

/** Every long name and alias, for suggestions. */
export function allLongNames(): string[] {
  return [...byLongName.keys()];
}
