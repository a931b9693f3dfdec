// Every configuration error, with the exact message the user sees.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseCommandLine } from '../src/config/index.ts';

const HTTP = ['--http', ':8000'];
const APP = ['--wsgi-file', 'app.py'];
const BASE = [...HTTP, ...APP];

const cases: { rule: string; argv: string[]; env?: NodeJS.ProcessEnv; message: string }[] = [
  // Values
  {
    rule: 'an int must be a whole number',
    argv: [...BASE, '--processes', 'four'],
    message: "nuwsgi: bad value for --processes on the command line: 'four' " +
      '(expected a whole number, e.g. --processes 4)',
  },
  {
    rule: 'the message names the option as it was spelled',
    argv: [...BASE, '-p', '4x'],
    message: "nuwsgi: bad value for -p on the command line: '4x' (expected a whole number, e.g. --processes 4)",
  },
  {
    rule: 'an int cannot be negative',
    argv: [...BASE, '--worker-reload-mercy=-5'],
    message: "nuwsgi: bad value for --worker-reload-mercy on the command line: '-5' " +
      '(expected a whole number of seconds, e.g. --worker-reload-mercy 30)',
  },
  {
    rule: 'an int cannot be empty',
    argv: [...BASE, '--forkbomb-delay='],
    message: "nuwsgi: bad value for --forkbomb-delay on the command line: '' " +
      '(expected a whole number of seconds, e.g. --forkbomb-delay 5)',
  },
  {
    rule: 'an optional int given a bad value',
    argv: [...BASE, '--http-keepalive=on'],
    message: "nuwsgi: bad value for --http-keepalive on the command line: 'on' " +
      '(expected a whole number of seconds, attached with =, e.g. --http-keepalive=30)',
  },
  {
    rule: 'processes must be at least 1',
    argv: [...BASE, '--workers', '0'],
    message: "nuwsgi: bad value for --workers on the command line: '0' (must be at least 1)",
  },
  {
    rule: 'a size takes no suffix',
    argv: [...BASE, '--buffer-size', '32k'],
    message: "nuwsgi: bad value for --buffer-size on the command line: '32k' " +
      '(expected a whole number of bytes up to 1048576 (1 MiB), e.g. --buffer-size 32768)',
  },
  {
    rule: 'buffer-size is capped at 1 MiB',
    argv: [...BASE, '-b', '1048577'],
    message: "nuwsgi: bad value for -b on the command line: '1048577' (must be at most 1048576 bytes, 1 MiB)",
  },
  {
    rule: 'an --env value must name a variable',
    argv: [...BASE, '--env', '=1'],
    message: "nuwsgi: bad value for --env on the command line: '=1' " +
      '(expected KEY=value, or KEY alone to remove it, e.g. --env DJANGO_SETTINGS_MODULE=mysite.settings)',
  },
  {
    rule: 'a --mount value needs MOUNTPOINT=APP',
    argv: [...BASE, '--mount', '/admin'],
    message: "nuwsgi: bad value for --mount on the command line: '/admin' " +
      '(expected MOUNTPOINT=APP, where APP is a .py/.wsgi file or pkg.mod[:callable], e.g. --mount /admin=admin.py)',
  },
  {
    rule: 'a --mount value needs a mountpoint',
    argv: [...BASE, '--mount', '=admin.py'],
    message: "nuwsgi: bad value for --mount on the command line: '=admin.py' " +
      '(expected MOUNTPOINT=APP, where APP is a .py/.wsgi file or pkg.mod[:callable], e.g. --mount /admin=admin.py)',
  },
  {
    rule: 'a --mount value needs an app',
    argv: [...BASE, '--mount', '/admin='],
    message: "nuwsgi: bad value for --mount on the command line: '/admin=' " +
      '(expected MOUNTPOINT=APP, where APP is a .py/.wsgi file or pkg.mod[:callable], e.g. --mount /admin=admin.py)',
  },
  {
    rule: 'chdir2 cannot be empty',
    argv: [...BASE, '--chdir2='],
    message: "nuwsgi: bad value for --chdir2 on the command line: '' (expected a directory, e.g. --chdir2 /srv/data)",
  },
  {
    rule: 'a string cannot be empty',
    argv: [...BASE, '--chdir='],
    message: "nuwsgi: bad value for --chdir on the command line: '' (expected a directory, e.g. --chdir /srv/app)",
  },
  {
    rule: 'a bad value from the environment names the variable',
    argv: BASE,
    env: { UWSGI_BUFFER_SIZE: '64 KiB' },
    message: "nuwsgi: bad value for --buffer-size in environment variable UWSGI_BUFFER_SIZE: '64 KiB' " +
      '(expected a whole number of bytes up to 1048576 (1 MiB), e.g. --buffer-size 32768)',
  },

  // Options
  {
    rule: 'an unknown option suggests the closest name',
    argv: [...APP, '--htpp', ':8000'],
    message: 'nuwsgi: unknown option --htpp on the command line (did you mean --http?)',
  },
  {
    rule: 'suggestions include aliases',
    argv: [...BASE, '--worker', '2'],
    message: 'nuwsgi: unknown option --worker on the command line (did you mean --workers?)',
  },
  {
    rule: 'a prefix of one name suggests that name',
    argv: [...BASE, '--proc', '2'],
    message: 'nuwsgi: unknown option --proc on the command line (did you mean --processes?)',
  },
  {
    rule: 'an unknown option with a value attached',
    argv: [...BASE, '--bufer-size=8192'],
    message: 'nuwsgi: unknown option --bufer-size on the command line (did you mean --buffer-size?)',
  },
  {
    rule: 'an unknown option far from every name',
    argv: [...BASE, '--xyzzy'],
    message: 'nuwsgi: unknown option --xyzzy on the command line (see nuwsgi --help)',
  },
  {
    rule: 'an unknown short option',
    argv: [...BASE, '-x'],
    message: 'nuwsgi: unknown option -x on the command line (see nuwsgi --help)',
  },
  {
    rule: 'a long option written with one dash',
    argv: [...APP, '-http', ':8000'],
    message: 'nuwsgi: unknown option -http on the command line (did you mean --http?)',
  },
  {
    rule: 'a missing value at the end',
    argv: [...APP, '--http'],
    message: 'nuwsgi: missing value for --http on the command line ' +
      '(expected an address such as :8000, 127.0.0.1:8000 or [::1]:8000, e.g. --http 127.0.0.1:8000)',
  },
  {
    rule: 'the next option is not taken as a value',
    argv: [...APP, '--http', '--master'],
    message: 'nuwsgi: missing value for --http on the command line ' +
      '(expected an address such as :8000, 127.0.0.1:8000 or [::1]:8000, e.g. --http 127.0.0.1:8000)',
  },
  {
    rule: 'a short option missing its value',
    argv: [...BASE, '-Mp'],
    message: 'nuwsgi: missing value for -p on the command line (expected a whole number, e.g. --processes 4)',
  },
  {
    rule: 'an option that takes no value',
    argv: [...BASE, '--version=2'],
    message: "nuwsgi: --version takes no value, but got '--version=2' on the command line",
  },

  // Positional arguments
  {
    rule: 'an XML file is not supported',
    argv: [...HTTP, 'app.xml'],
    message: "nuwsgi: cannot load 'app.xml': XML configuration files are not supported; " +
      'write the options in an .ini, .json or .yaml file instead',
  },
  {
    rule: 'an argument of no known form',
    argv: [...BASE, 'serve'],
    message: "nuwsgi: don't know what to do with 'serve' on the command line: give a Python file (app.py), " +
      'a module (package.module:callable) or an option (see nuwsgi --help)',
  },
  {
    rule: 'a module without its callable',
    argv: [...HTTP, 'mysite.views'],
    message: "nuwsgi: don't know what to do with 'mysite.views' on the command line: give a Python file (app.py), " +
      'a module (package.module:callable) or an option (see nuwsgi --help)',
  },
  {
    rule: 'an address is not a module',
    argv: [...APP, 'localhost:8000'],
    message: "nuwsgi: don't know what to do with 'localhost:8000' on the command line: give a Python file (app.py), " +
      'a module (package.module:callable) or an option (see nuwsgi --help)',
  },
  {
    rule: "a flag's value given apart",
    argv: [...BASE, '--master', 'false'],
    message: "nuwsgi: don't know what to do with 'false' on the command line: " +
      '--master takes a value only when attached, as --master=false',
  },
  {
    rule: "a short flag's value given apart",
    argv: [...BASE, '-M', 'off'],
    message: "nuwsgi: don't know what to do with 'off' on the command line: " +
      '-M takes a value only when attached, as --master=off',
  },
  {
    rule: "an optional int's value given apart",
    argv: [...BASE, '--http-keepalive', '30'],
    message: "nuwsgi: don't know what to do with '30' on the command line: " +
      '--http-keepalive takes a value only when attached, as --http-keepalive=30',
  },

  // Static files
  {
    rule: 'a static-map needs MOUNTPOINT=PATH',
    argv: [...BASE, '--static-map', 'static=/srv'],
    message: "nuwsgi: bad value for --static-map on the command line: 'static=/srv' " +
      '(expected MOUNTPOINT=PATH, where MOUNTPOINT starts with /, e.g. --static-map /static=/srv/app/static)',
  },
  {
    rule: 'a static-expires regular expression must compile',
    argv: [...BASE, '--static-expires', '(css 60'],
    message: "nuwsgi: bad value for --static-expires on the command line: '(css 60' " +
      '(it is not a valid regular expression (Invalid regular expression: /(css/: Unterminated group); ' +
      'expected a regular expression, a space and a number of seconds, e.g. --static-expires "\\.css$ 86400")',
  },
  {
    rule: 'a static-expires rule needs its seconds',
    argv: [...BASE, '--static-expires-uri', '^/static/'],
    message: "nuwsgi: bad value for --static-expires-uri on the command line: '^/static/' " +
      '(it is not a regular expression, a space and a number of seconds; ' +
      'expected a regular expression, a space and a number of seconds, e.g. --static-expires-uri "^/static/ 86400")',
  },
  {
    rule: 'static-expires-type takes TYPE=SECONDS',
    argv: [...BASE, '--static-expires-type', 'text/css'],
    message: "nuwsgi: bad value for --static-expires-type on the command line: 'text/css' " +
      '(expected a MIME type, = and a number of seconds, e.g. --static-expires-type text/css=86400)',
  },
  {
    rule: 'add-header takes Name: value',
    argv: [...BASE, '--add-header', 'no colon here'],
    message: "nuwsgi: bad value for --add-header on the command line: 'no colon here' " +
      '(it is not a header written as Name: value; expected a header written as Name: value, e.g. --add-header "X-Frame-Options: DENY")',
  },
  {
    rule: 'file-serve-mode names a header uWSGI knows',
    argv: [...BASE, '--file-serve-mode', 'apache'],
    message: "nuwsgi: bad value for --file-serve-mode on the command line: 'apache' " +
      '(expected x-sendfile or x-accel-redirect (or nginx), e.g. --file-serve-mode x-accel-redirect)',
  },

  // The configuration as a whole
  {
    rule: 'an application is required',
    argv: HTTP,
    message: 'nuwsgi: no application: give --wsgi-file FILE (e.g. --wsgi-file app.py) ' +
      'or --module MODULE (e.g. --module mysite.wsgi:application), or --mount MOUNTPOINT=APP',
  },
  {
    rule: 'only one application',
    argv: [...BASE, '-w', 'mysite.wsgi'],
    message: 'nuwsgi: both --wsgi-file (on the command line) and --module (on the command line) ' +
      'name an application: give only one',
  },
  {
    rule: 'only one application, wherever they come from',
    argv: BASE,
    env: { UWSGI_MODULE: 'mysite.wsgi' },
    message: 'nuwsgi: both --wsgi-file (on the command line) and --module (in environment variable UWSGI_MODULE) ' +
      'name an application: give only one',
  },
  {
    rule: 'a listener is required',
    argv: APP,
    message: 'nuwsgi: no listener: give --socket ADDR (the uwsgi protocol, for nginx), --http-socket ADDR or --http ADDR, ' +
      'e.g. --socket /run/app.sock or --http 127.0.0.1:8000',
  },
];

describe('configuration errors', () => {
  for (const { rule, argv, env, message } of cases) {
    it(`${rule}: nuwsgi ${argv.join(' ')}`, () => {
      assert.throws(() => parseCommandLine(argv, env ?? {}), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
        assert.equal(error.message, message);
        assert.equal(error.name, 'ConfigError');
        return true;
      });
    });
  }
});
