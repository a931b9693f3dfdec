// The option table against Config: every Config field is filled by exactly one entry (options.ts
// also checks this at compile time), what each entry fills it with, and the fields that only a
// restart changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Config, ConfigField } from '../src/config/config.ts';
import { parseCommandLine } from '../src/config/index.ts';
import { LOADING_OPTIONS } from '../src/config/loading-options.ts';
import type { OptionSpec } from '../src/config/option-spec.ts';
import { OPTIONS, findOption, restartOnlyFields } from '../src/config/options.ts';

/** Every Config field but `options`; `satisfies` makes tsc hold this list to Config's keys. */
const CONFIG_FIELDS = Object.keys({
  http: true, socket: true, uwsgiSocket: true, httpSocket: true, protocol: true, listen: true, chmodSocket: true,
  chownSocket: true, vacuum: true, socketTimeout: true, httpTimeout: true, uwsgiAllow: true, trustedProxies: true, uid: true, gid: true,
  wsgiFile: true, module: true, callable: true, mounts: true, manageScriptName: true, processes: true, threads: true,
  gevent: true, async: true, master: true, chdir: true, chdir2: true, home: true, pythonpath: true, env: true,
  bufferSize: true, httpMaxHeaders: true, limitPost: true, postBuffering: true, disableLogging: true, catchExceptions: true,
  workerReloadMercy: true, httpKeepalive: true, forkbombDelay: true, pyAutoreload: true, harakiri: true,
  harakiriVerbose: true, lazyApps: true, lazy: true, harakiriGracefulTimeout: true, harakiriGracefulSignal: true, maxRequests: true,
  maxRequestsDelta: true, maxRequestsJitter: true, minWorkerLifetime: true, maxWorkerLifetime: true,
  maxWorkerLifetimeDelta: true, reloadOnRss: true, checkInterval: true, touchReload: true, touchChainReload: true,
  touchWorkersReload: true, masterFifo: true, pidfile: true, pidfile2: true, daemonize: true, logto: true,
  staticMap: true, staticMap2: true, checkStatic: true, staticIndex: true, staticSkipExt: true, staticSafe: true,
  mimeFile: true, staticExpires: true, staticExpiresMtime: true, staticExpiresUri: true, staticExpiresUriMtime: true,
  staticExpiresPathInfo: true, staticExpiresPathInfoMtime: true, staticExpiresType: true, staticExpiresTypeMtime: true,
  staticGzip: true, staticGzipAll: true, staticGzipDir: true, staticGzipExt: true, addHeader: true, fileServeMode: true,
  staticCachePaths: true, staticCacheSize: true, staticCacheMaxFile: true, stats: true, statsHttp: true,
  statsMinified: true, statsNoCores: true, metrics: true, logFormat: true, logMicros: true, log4xx: true, log5xx: true,
  logSlow: true, logBig: true, logZero: true, logXForwardedFor: true, logDate: true, logPrefix: true, logEncoder: true,
  https: true, httpsSocket: true, httpToHttps: true, httpsExportCert: true, httpsSessionContext: true,
  sslSessionsTimeout: true, httpsHandshakeTimeout: true, sslVerbose: true,
  http2: true, http2Cleartext: true, http2MaxConcurrentStreams: true, http2IdleTimeout: true, http2SettingsTimeout: true,
  http2StreamTimeout: true, http2MaxResets: true,
} satisfies Record<ConfigField, true>);

/** The fields the arbiter kept by hand as RESTART_ONLY before the table marked them, and those added since. */
const RESTART_ONLY_BEFORE = [
  'http', 'socket', 'uwsgiSocket', 'httpSocket', 'protocol', 'listen', 'chmodSocket', 'chownSocket', 'vacuum',
  'socketTimeout', 'httpTimeout', 'bufferSize', 'httpMaxHeaders', 'httpKeepalive', 'uid', 'gid', 'chdir', 'masterFifo', 'pidfile', 'pidfile2',
  'daemonize', 'logto', 'disableLogging', 'limitPost', 'postBuffering',
  // the static-file rules are resolved once, at start (the workers get the master's in CONFIG)
  'staticMap', 'staticMap2', 'checkStatic', 'staticIndex', 'staticSkipExt', 'staticSafe', 'mimeFile', 'staticExpires',
  'staticExpiresMtime', 'staticExpiresUri', 'staticExpiresUriMtime', 'staticExpiresPathInfo', 'staticExpiresPathInfoMtime',
  'staticExpiresType', 'staticExpiresTypeMtime', 'staticGzip', 'staticGzipAll', 'staticGzipDir', 'staticGzipExt',
  'addHeader', 'fileServeMode', 'staticCachePaths', 'staticCacheSize', 'staticCacheMaxFile', 'stats', 'statsHttp', 'metrics',
  // the request log is set up once, at start (the workers get the vars it needs in CONFIG)
  'logFormat', 'logMicros', 'log4xx', 'log5xx', 'logSlow', 'logBig', 'logZero', 'logXForwardedFor', 'logDate', 'logPrefix',
  'logEncoder',
  // the TLS listeners are bound once; a reload reads their certificate files again, not their options
  'https', 'httpsSocket', 'httpToHttps', 'httpsExportCert', 'httpsSessionContext', 'sslSessionsTimeout',
  'httpsHandshakeTimeout', 'sslVerbose',
  // the HTTP/2 settings are the listeners', bound once
  'http2', 'http2Cleartext', 'http2MaxConcurrentStreams', 'http2IdleTimeout', 'http2SettingsTimeout', 'http2StreamTimeout', 'http2MaxResets',
];

const BASE = ['--http', ':8000', '--wsgi-file', 'app.py'];

function serve(argv: string[]): Config {
  const command = parseCommandLine([...BASE, ...argv], {});
  assert.equal(command.kind, 'serve');
  return command.config;
}

/** The entry called `name`, which the table must have. */
function entry(name: string) {
  const option = findOption(name);
  assert.ok(option !== undefined, `--${name} is in the table`);
  return option;
}

/** The entries that fill a field. */
const filling = OPTIONS.filter((option): option is OptionSpec & { field: ConfigField } => option.field !== undefined);

describe('the option table and Config', () => {
  it('fills every Config field but options, each from exactly one entry', () => {
    const fields = filling.map((option) => option.field);
    assert.equal(new Set(fields).size, fields.length, `a field filled twice: ${fields.join(', ')}`);
    assert.deepEqual([...fields].sort(), [...CONFIG_FIELDS].sort());
  });

  it('resolves to a Config with exactly those fields and the options record', () => {
    assert.deepEqual(Object.keys(serve([])).sort(), [...CONFIG_FIELDS, 'options'].sort());
  });

  it('fills no field from the options that steer the reading, ask for a command or are accepted without effect', () => {
    const fieldless = [
      ...LOADING_OPTIONS.map((option) => option.name),
      ...OPTIONS.filter((option) => option.commandLineOnly).map((option) => option.name),
      'plugins', 'strict', 'enable-threads', 'die-on-term', 'post-buffering-bufsize', 'offload-threads',
      'memory-report',
    ];
    for (const name of fieldless) assert.equal(entry(name).field, undefined, `--${name} fills no field`);
    assert.deepEqual(OPTIONS.filter((option) => option.field === undefined).map((option) => option.name).sort(),
      [...new Set(fieldless)].sort());
  });

  it("fills each field without a convert with its entry's default when the option is not given", () => {
    const config: Record<ConfigField, unknown> = serve([]);
    for (const option of filling) {
      // BASE gives --http and --wsgi-file.
      if ('convert' in option || option.name === 'http' || option.name === 'wsgi-file') continue;
      assert.deepEqual(config[option.field], option.default, `--${option.name}'s default in ${option.field}`);
    }
  });

  it('converts the values of the entries that have a convert', () => {
    const converted = filling.filter((option) => 'convert' in option).map((option) => option.name).sort();
    assert.deepEqual(converted,
      ['add-header', 'check-interval', 'chmod-socket', 'file-serve-mode', 'http-keepalive', 'http-to-https', 'https',
        'https-socket', 'log-date', 'log-encoder', 'log-format',
        'mount', 'protocol',
        'static-expires', 'static-expires-mtime', 'static-expires-path-info', 'static-expires-path-info-mtime',
        'static-expires-type', 'static-expires-type-mtime', 'static-expires-uri', 'static-expires-uri-mtime', 'static-map',
        'static-map2', 'trusted-proxy', 'uwsgi-allow']);

    assert.equal(serve([]).chmodSocket, undefined);
    assert.equal(serve(['--chmod-socket=660']).chmodSocket, 0o660);
    assert.equal(serve(['--chmod-socket=1']).chmodSocket, 0o666);
    assert.equal(serve(['--chmod-socket']).chmodSocket, 0o666);

    assert.equal(serve([]).httpKeepalive, 75);
    assert.equal(serve(['--http-keepalive']).httpKeepalive, 75);
    assert.equal(serve(['--http-keepalive=1']).httpKeepalive, 75);
    assert.equal(serve(['--http-keepalive=0']).httpKeepalive, 0);
    assert.equal(serve(['--http-keepalive=30']).httpKeepalive, 30);

    assert.equal(serve([]).checkInterval, 1);
    assert.equal(serve(['--check-interval', '0']).checkInterval, 1);
    assert.equal(serve(['--check-interval', '5']).checkInterval, 5);

    assert.equal(serve([]).protocol, 'uwsgi');
    assert.equal(serve(['--protocol', 'http']).protocol, 'http');
    assert.equal(serve(['--socket-protocol=uwsgi']).protocol, 'uwsgi');

    assert.deepEqual(serve([]).mounts, []);
    assert.deepEqual(serve(['--mount', '/a=a.py', '--mount', '/b=pkg.mod:app=x']).mounts,
      [{ mountpoint: '/a', app: 'a.py' }, { mountpoint: '/b', app: 'pkg.mod:app=x' }]);

    assert.deepEqual(serve([]).uwsgiAllow.entries, ['127.0.0.0/8', '::1']);
    assert.deepEqual(serve(['--uwsgi-allow', '10.0.0.0/8']).uwsgiAllow.entries, ['10.0.0.0/8']);
    assert.equal(serve([]).trustedProxies.empty, true);
    assert.equal(serve(['--trusted-proxy', 'unix']).trustedProxies.unix, true);

    assert.equal(serve([]).logFormat, undefined);
    assert.deepEqual(serve(['--log-format', '%(addr) %(var.HTTP_X_ID)']).logFormat?.vars, ['HTTP_X_ID']);
    assert.equal(serve([]).logDate, undefined);
    assert.equal(serve(['--log-date']).logDate, '');
    assert.equal(serve(['--log-date=true']).logDate, '');
    assert.equal(serve(['--log-date=%Y']).logDate, '%Y');
    assert.equal(serve([]).logEncoder, undefined);
    assert.equal(serve(['--log-encoder', 'json']).logEncoder, 'json');
  });
});

describe('restart-only fields', () => {
  it('are the fields RESTART_ONLY listed by hand, each once', () => {
    const fields = restartOnlyFields();
    assert.equal(new Set(fields).size, fields.length);
    assert.deepEqual([...fields].sort(), [...RESTART_ONLY_BEFORE].sort());
  });

  it('come from the entries marked restart, which all fill a field', () => {
    const marked = OPTIONS.filter((option) => option.restart);
    for (const option of marked) assert.notEqual(option.field, undefined, `--${option.name} fills a field`);
    assert.deepEqual(marked.map((option) => option.field), restartOnlyFields());
  });
});
