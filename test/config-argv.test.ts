// The command line: getopt_long-style tokenizing, positional arguments, defaults, --help, --version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { OPTIONS, parseCommandLine, readCommandLine, type Config } from '../src/config/index.ts';
import { repoRoot } from './helpers/server.ts';

/** A listener and an application, for cases about something else. */
const BASE = ['--http', ':8000', '--wsgi-file', 'app.py'];

function serve(argv: string[]): Config {
  const command = parseCommandLine(argv, {});
  assert.equal(command.kind, 'serve');
  return command.config;
}

describe('command line tokenizing', () => {
  const cases: { argv: string[]; expected: Partial<Config> }[] = [
    { argv: ['--processes', '4'], expected: { processes: 4 } },
    { argv: ['--processes=4'], expected: { processes: 4 } },
    { argv: ['--workers', '3'], expected: { processes: 3 } },
    { argv: ['-p', '4'], expected: { processes: 4 } },
    { argv: ['-p4'], expected: { processes: 4 } },
    { argv: ['-Mp', '4'], expected: { master: true, processes: 4 } },
    { argv: ['-Mp4'], expected: { master: true, processes: 4 } },
    { argv: ['-MLp', '3'], expected: { master: true, disableLogging: true, processes: 3 } },
    { argv: ['-p', '2', '-p', '8'], expected: { processes: 8 } },
    { argv: ['--master'], expected: { master: true } },
    { argv: ['--master='], expected: { master: true } },
    { argv: ['--master=yes'], expected: { master: true } },
    { argv: ['--master=false'], expected: { master: false } },
    { argv: ['--master=OFF'], expected: { master: false } },
    { argv: ['--master=no'], expected: { master: false } },
    { argv: ['--master=0'], expected: { master: false } },
    { argv: ['--master', '--master=false'], expected: { master: false } },
    { argv: ['-L', '--catch-exceptions'], expected: { disableLogging: true, catchExceptions: true } },
    { argv: ['--http', ':8001', '--http=[::1]:8002'], expected: { http: [':8000', ':8001', '[::1]:8002'] } },
    { argv: ['--pythonpath', 'a', '--python-path', 'b', '--pp=c'], expected: { pythonpath: ['a', 'b', 'c'] } },
    { argv: ['--env', 'A=1', '--env=B=x=y'], expected: { env: ['A=1', 'B=x=y'] } },
    { argv: ['--env=X=-1'], expected: { env: ['X=-1'] } },
    { argv: ['-H', '/venv'], expected: { home: '/venv' } },
    { argv: ['--virtualenv', '/a', '--venv', '/b'], expected: { home: '/b' } },
    { argv: ['--pyhome=/c'], expected: { home: '/c' } },
    { argv: ['--chdir', '/srv/app'], expected: { chdir: '/srv/app' } },
    { argv: ['--callable', 'app'], expected: { callable: 'app' } },
    {
      argv: ['--mount', '/a=a.py', '--mount=/b/=pkg.mod:app=x'],
      expected: { mounts: [{ mountpoint: '/a', app: 'a.py' }, { mountpoint: '/b/', app: 'pkg.mod:app=x' }] },
    },
    { argv: ['--manage-script-name'], expected: { manageScriptName: true } },
    { argv: ['--chdir2', '/srv/data'], expected: { chdir2: '/srv/data' } },
    { argv: ['-b', '32768'], expected: { bufferSize: 32768 } },
    { argv: ['--buffer-size=1048576'], expected: { bufferSize: 1048576 } },
    { argv: ['--worker-reload-mercy', '5'], expected: { workerReloadMercy: 5 } },
    { argv: ['--forkbomb-delay', '0'], expected: { forkbombDelay: 0 } },
    { argv: ['--python-auto-reload', '3'], expected: { pyAutoreload: 3 } },
    { argv: ['--http-keepalive=30'], expected: { httpKeepalive: 30 } },
    { argv: ['--http-keepalive=0'], expected: { httpKeepalive: 0 } },
    { argv: ['--http-keepalive'], expected: { httpKeepalive: 75 } },
    { argv: ['--http-keepalive=1'], expected: { httpKeepalive: 75 } },
  ];
  for (const { argv, expected } of cases) {
    it(argv.join(' '), () => {
      const config = serve([...BASE, ...argv]);
      for (const [field, value] of Object.entries(expected)) {
        assert.deepEqual(config[field as keyof Config], value, field);
      }
    });
  }

  it('applies the defaults of the option table', () => {
    const { options, uwsgiAllow, trustedProxies, ...config } = serve(BASE);
    assert.deepEqual(config, {
      http: [':8000'],
      socket: [],
      uwsgiSocket: [],
      httpSocket: [],
      https: [],
      httpsSocket: [],
      httpToHttps: [],
      httpsExportCert: false,
      httpsSessionContext: undefined,
      sslSessionsTimeout: 300,
      httpsHandshakeTimeout: 10,
      sslVerbose: false,
      protocol: 'uwsgi',
      listen: 100,
      chmodSocket: undefined,
      chownSocket: undefined,
      vacuum: false,
      socketTimeout: 4,
      httpTimeout: 60,
      uid: undefined,
      gid: undefined,
      wsgiFile: 'app.py',
      module: undefined,
      callable: 'application',
      mounts: [],
      manageScriptName: false,
      processes: 1,
      threads: 1,
      gevent: 0,
      async: 0,
      master: false,
      chdir: undefined,
      chdir2: undefined,
      home: undefined,
      pythonpath: [],
      env: [],
      bufferSize: 4096,
      limitPost: 0,
      postBuffering: 0,
      disableLogging: false,
      catchExceptions: false,
      workerReloadMercy: 60,
      httpKeepalive: 75,
      httpMaxHeaders: 100,
      http2: true,
      http2Cleartext: false,
      http2MaxConcurrentStreams: 100,
      http2IdleTimeout: 75,
      http2SettingsTimeout: 10,
      http2StreamTimeout: 60,
      http2MaxResets: 100,
      forkbombDelay: 2,
      pyAutoreload: 0,
      harakiri: 0,
      harakiriVerbose: false,
      lazyApps: false,
      lazy: false,
      harakiriGracefulTimeout: 0,
      harakiriGracefulSignal: 15,
      maxRequests: 0,
      maxRequestsDelta: 0,
      maxRequestsJitter: 0,
      minWorkerLifetime: 60,
      maxWorkerLifetime: 0,
      maxWorkerLifetimeDelta: 0,
      reloadOnRss: 0,
      checkInterval: 1,
      touchReload: [],
      touchChainReload: [],
      touchWorkersReload: [],
      masterFifo: [],
      pidfile: undefined,
      pidfile2: undefined,
      daemonize: undefined,
      logto: undefined,
      logFormat: undefined,
      logMicros: false,
      log4xx: false,
      log5xx: false,
      logSlow: 0,
      logBig: 0,
      logZero: false,
      logXForwardedFor: false,
      logDate: undefined,
      logPrefix: undefined,
      logEncoder: undefined,
      stats: undefined,
      statsHttp: false,
      statsMinified: false,
      statsNoCores: false,
      metrics: undefined,
      staticMap: [],
      staticMap2: [],
      checkStatic: [],
      staticIndex: [],
      staticSkipExt: [],
      staticSafe: [],
      mimeFile: ['/etc/mime.types'],
      staticExpires: [],
      staticExpiresMtime: [],
      staticExpiresUri: [],
      staticExpiresUriMtime: [],
      staticExpiresPathInfo: [],
      staticExpiresPathInfoMtime: [],
      staticExpiresType: [],
      staticExpiresTypeMtime: [],
      staticGzip: [],
      staticGzipAll: false,
      staticGzipDir: [],
      staticGzipExt: [],
      addHeader: [],
      fileServeMode: 'raw',
      staticCachePaths: 1,
      staticCacheSize: 64 * 1024 * 1024,
      staticCacheMaxFile: 1024 * 1024,
    });
    assert.equal(uwsgiAllow.has('127.0.0.1') && uwsgiAllow.has('::1') && !uwsgiAllow.has('10.0.0.1'), true, 'uwsgi-allow: loopback');
    assert.equal(trustedProxies.empty, true, 'trusted-proxy: none');
    assert.deepEqual(options, { http: [':8000'], 'wsgi-file': 'app.py' });
  });

  it('mounts alone are enough: the default app may be left out, as in uWSGI', () => {
    const config = serve(['--http', ':8000', '--mount', '/a=a.py']);
    assert.deepEqual([config.wsgiFile, config.module, config.mounts], [undefined, undefined, [{ mountpoint: '/a', app: 'a.py' }]]);
  });

  it('records every option given by canonical name: flags as booleans, lists as arrays, the rest as written', () => {
    const config = serve(['--http', ':8000', '-w', 'pkg.wsgi', '--workers=2', '-M', '--master=off', '--pp', 'lib',
      '--env', 'A=1', '--http-keepalive', '--venv', '/v']);
    assert.deepEqual(config.options, {
      http: [':8000'],
      module: 'pkg.wsgi',
      processes: '2',
      master: false,
      pythonpath: ['lib'],
      env: ['A=1'],
      'http-keepalive': '1',
      home: '/v',
    });
  });

  it('emits ordered events with the spelling used, no value for bare optional options, positional arguments last', () => {
    const events = readCommandLine(['-Mp', '4', '--http=:8000', '--master', 'app.py', '--workers', '2', 'app.ini']);
    assert.deepEqual(
      events.map((event) => [event.option.name, event.spelling, event.value, event.origin.source]),
      [
        ['master', '-M', undefined, 'command line'],
        ['processes', '-p', '4', 'command line'],
        ['http', '--http', ':8000', 'command line'],
        ['master', '--master', undefined, 'command line'],
        ['processes', '--workers', '2', 'command line'],
        ['wsgi-file', '--wsgi-file', 'app.py', 'command line'],
        ['include', '--include', 'app.ini', 'command line'],
      ],
    );
  });

  it('takes a lone "-" as a value', () => {
    assert.deepEqual(serve([...BASE, '--chdir', '-']).chdir, '-');
  });
});

describe('positional arguments', () => {
  const cases: { argv: string[]; expected: Partial<Config> }[] = [
    { argv: ['app.py'], expected: { wsgiFile: 'app.py', module: undefined } },
    { argv: ['site/app.wsgi'], expected: { wsgiFile: 'site/app.wsgi' } },
    { argv: ['app.py:myapp'], expected: { wsgiFile: 'app.py', callable: 'myapp' } },
    { argv: ['app.py:create_app()'], expected: { wsgiFile: 'app.py', callable: 'create_app()' } },
    { argv: ['mysite.wsgi:application'], expected: { module: 'mysite.wsgi:application', wsgiFile: undefined } },
    { argv: ['mysite.wsgi'], expected: { wsgiFile: 'mysite.wsgi', module: undefined } },
    { argv: ['./legacy.wsgi:app'], expected: { wsgiFile: './legacy.wsgi', callable: 'app' } },
    { argv: ['wsgi:app'], expected: { module: 'wsgi:app' } },
    { argv: ['pkg.app:make_app()'], expected: { module: 'pkg.app:make_app()' } },
    { argv: ['--master', 'app.py'], expected: { master: true, wsgiFile: 'app.py' } },
    { argv: ['app.py', '--processes', '2'], expected: { wsgiFile: 'app.py', processes: 2 } },
    { argv: ['--', '-odd-name.py'], expected: { wsgiFile: '-odd-name.py' } },
    { argv: ['--', '--app.py'], expected: { wsgiFile: '--app.py' } },
  ];
  for (const { argv, expected } of cases) {
    it(argv.join(' '), () => {
      const config = serve(['--http', ':8000', ...argv]);
      for (const [field, value] of Object.entries(expected)) {
        assert.deepEqual(config[field as keyof Config], value, field);
      }
    });
  }
});

describe('--help', () => {
  for (const argv of [['--help'], ['-h'], ['--usage'], ['--processes', 'four', '--help'], ['app.py', '-Mh']]) {
    it(argv.join(' '), () => {
      const command = parseCommandLine(argv, {});
      assert.equal(command.kind, 'help');
    });
  }

  it('lists every option with its aliases, short flag, expected form and default', () => {
    const command = parseCommandLine(['--help'], {});
    assert.equal(command.kind, 'help');
    const text = command.text;
    assert.match(text, /^Usage: nuwsgi \[OPTIONS\]/);
    for (const option of OPTIONS) {
      assert.ok(text.includes(`--${option.name}`), option.name);
      assert.ok(text.includes(option.help), `help of ${option.name}`);
      assert.ok(text.includes(`expects ${option.expected}`), `expected form of ${option.name}`);
      for (const alias of option.aliases) assert.ok(text.includes(`--${alias}`), alias);
      if (option.short !== undefined) assert.ok(text.includes(`-${option.short}, --${option.name}`), option.short);
    }
    assert.match(text, /-p, --processes N +number of Python worker processes \(default: 1\)\n +also --workers; /);
    assert.match(text, /--buffer-size BYTES +largest request head accepted, in bytes \(default: 4096\)/);
    assert.match(text, /--http-keepalive\[=SECONDS\] /);
  });

  it('aligns the descriptions in one column', () => {
    const command = parseCommandLine(['--help'], {});
    assert.equal(command.kind, 'help');
    const lines = command.text.split('\n');
    const optionLines = lines.slice(lines.indexOf('Options:') + 1).filter((line) => line !== '');
    assert.equal(optionLines.length, 2 * OPTIONS.length);
    // Option lines: synopsis, then two or more spaces; continuation lines: only the indentation.
    const columns = optionLines.map((line) => (/^ +-.*?\S {2,}(?=\S)/.exec(line) ?? /^ +/.exec(line))![0].length);
    assert.equal(new Set(columns).size, 1, command.text);
  });
});

describe('nuwsgi top', () => {
  it('hands the arguments after top to the view, unread, even those that are no server option', () => {
    assert.deepEqual(parseCommandLine(['top', '-i', '2', '--once', '/run/app/stats.sock'], {}), {
      kind: 'top', args: ['-i', '2', '--once', '/run/app/stats.sock'],
    });
    assert.deepEqual(parseCommandLine(['top'], { UWSGI_PROCESSES: 'four' }), { kind: 'top', args: [] });
  });

  it('is a command only as the first argument', () => {
    assert.throws(() => parseCommandLine(['--http', ':8000', 'top'], {}), /top/);
  });

  it('is in --help', () => {
    const command = parseCommandLine(['--help'], {});
    assert.equal(command.kind, 'help');
    assert.match(command.text, /^ +nuwsgi top \[--interval SECONDS\] \[--once\] ADDR +\(a live view of the stats server at ADDR\)$/m);
  });
});

describe('--version', () => {
  it("prints the version of nuwsgi's package.json", () => {
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(parseCommandLine(['--version'], {}), { kind: 'version', text: `nuwsgi ${manifest.version}` });
  });

  it('wins over a configuration that would not start', () => {
    assert.equal(parseCommandLine(['--processes', 'four', '--version'], {}).kind, 'version');
  });
});
