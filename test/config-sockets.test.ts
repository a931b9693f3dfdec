// The listener and socket options as the configuration reads them: socket, uwsgi-socket,
// http-socket, protocol, listen, chmod-socket, chown-socket, vacuum, socket-timeout, http-timeout,
// uwsgi-allow, trusted-proxy, uid, gid.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseCommandLine, type Config } from '../src/config/index.ts';

const APP = ['--wsgi-file', 'app.py'];

function serve(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const command = parseCommandLine([...APP, ...argv], env);
  assert.equal(command.kind, 'serve');
  return command.config;
}

function refused(argv: string[], message: string | RegExp): void {
  assert.throws(() => parseCommandLine([...APP, ...argv], {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('listener options', () => {
  it('collects every --socket/-s, --uwsgi-socket and --http-socket, in order', () => {
    const config = serve(['--socket', ':3031', '-s', '/run/a.sock', '-s@app', '--uwsgi-socket', '127.0.0.1:3032',
      '--http-socket=/run/h.sock', '--http-socket', '[::1]:8080']);
    assert.deepEqual(config.socket, [':3031', '/run/a.sock', '@app']);
    assert.deepEqual(config.uwsgiSocket, ['127.0.0.1:3032']);
    assert.deepEqual(config.httpSocket, ['/run/h.sock', '[::1]:8080']);
    assert.deepEqual(config.http, []);
  });

  it('any one listener is enough', () => {
    for (const argv of [['--socket', 'a.sock'], ['--uwsgi-socket', ':1'], ['--http-socket', ':1'], ['--http', ':1']]) serve(argv);
  });

  it('reads UWSGI_SOCKET and UWSGI_PROTOCOL from the environment', () => {
    const config = serve([], { UWSGI_SOCKET: '/run/env.sock', UWSGI_PROTOCOL: 'http' });
    assert.deepEqual(config.socket, ['/run/env.sock']);
    assert.equal(config.protocol, 'http');
  });

  it('--protocol (--socket-protocol) is uwsgi unless told http', () => {
    assert.equal(serve(['-s', ':1']).protocol, 'uwsgi');
    assert.equal(serve(['-s', ':1', '--protocol=http']).protocol, 'http');
    assert.equal(serve(['-s', ':1', '--socket-protocol', 'http']).protocol, 'http');
    assert.equal(serve(['-s', ':1', '--protocol', 'http', '--protocol', 'uwsgi']).protocol, 'uwsgi');
  });

  it('refuses a protocol other than uwsgi or http', () => {
    refused(['-s', ':1', '--protocol=fastcgi'],
      "nuwsgi: bad value for --protocol on the command line: 'fastcgi' (expected uwsgi or http, e.g. --protocol=http)");
  });

  it('--listen/-l sets the backlog, 100 by default', () => {
    assert.equal(serve(['-s', ':1']).listen, 100);
    assert.equal(serve(['-s', ':1', '-l', '1024']).listen, 1024);
    assert.equal(serve(['-s', ':1', '--listen=5']).listen, 5);
  });

  it('--socket-timeout/-z is 4 s by default', () => {
    assert.equal(serve(['-s', ':1']).socketTimeout, 4);
    assert.equal(serve(['-s', ':1', '-z', '30']).socketTimeout, 30);
  });

  it('--http-timeout is 60 s by default, at least 1', () => {
    assert.equal(serve(['--http', ':1']).httpTimeout, 60);
    assert.equal(serve(['--http', ':1', '--http-timeout', '2']).httpTimeout, 2);
    assert.equal(serve(['--http', ':1'], { UWSGI_HTTP_TIMEOUT: '30' }).httpTimeout, 30);
    refused(['--http', ':1', '--http-timeout', '0'], "nuwsgi: bad value for --http-timeout on the command line: '0' (must be at least 1)");
  });
});

describe('--chmod-socket, --chown-socket, --vacuum', () => {
  it('reads three octal digits; alone, or 1, means 666; unset leaves the umask', () => {
    assert.equal(serve(['-s', 'a.sock']).chmodSocket, undefined);
    assert.equal(serve(['-s', 'a.sock', '--chmod-socket=660']).chmodSocket, 0o660);
    assert.equal(serve(['-s', 'a.sock', '-C600']).chmodSocket, 0o600);
    assert.equal(serve(['-s', 'a.sock', '--chmod-socket']).chmodSocket, 0o666);
    assert.equal(serve(['-s', 'a.sock', '-C']).chmodSocket, 0o666);
    assert.equal(serve(['-s', 'a.sock', '--chmod=1']).chmodSocket, 0o666);
  });

  for (const bad of ['66', '6600', '888', 'rw-rw----', '0o660']) {
    it(`refuses --chmod-socket=${bad}, naming the expected form`, () => {
      refused(['-s', 'a.sock', `--chmod-socket=${bad}`],
        `nuwsgi: bad value for --chmod-socket on the command line: '${bad}' (expected three octal digits, attached with =, e.g. --chmod-socket=660)`);
    });
  }

  it('explains a value given apart from --chmod-socket', () => {
    refused(['-s', 'a.sock', '--chmod-socket', '660'], /--chmod-socket takes a value only when attached, as --chmod-socket=660/);
  });

  it('--chown-socket takes user or user:group', () => {
    assert.equal(serve(['-s', 'a.sock', '--chown-socket', 'www-data:www-data']).chownSocket, 'www-data:www-data');
    assert.equal(serve(['-s', 'a.sock', '--chown-socket', '33']).chownSocket, '33');
    refused(['-s', 'a.sock', '--chown-socket', 'a:b:c'], /bad value for --chown-socket on the command line: 'a:b:c'/);
  });

  it('--vacuum is a flag, off by default', () => {
    assert.equal(serve(['-s', 'a.sock']).vacuum, false);
    assert.equal(serve(['-s', 'a.sock', '--vacuum']).vacuum, true);
    assert.equal(serve(['-s', 'a.sock', '--vacuum=false']).vacuum, false);
  });

  it('--uid and --gid are kept as written (names or numbers)', () => {
    const config = serve(['-s', 'a.sock', '--uid', 'www-data', '--gid', '33']);
    assert.equal(config.uid, 'www-data');
    assert.equal(config.gid, '33');
  });
});

describe('--uwsgi-allow and --trusted-proxy', () => {
  it('--uwsgi-allow is loopback by default; giving it replaces the default', () => {
    const byDefault = serve(['-s', ':1']).uwsgiAllow;
    assert.equal(byDefault.has('127.0.0.1'), true);
    assert.equal(byDefault.has('127.1.2.3'), true);
    assert.equal(byDefault.has('::1'), true);
    assert.equal(byDefault.has('::ffff:127.0.0.1'), true);
    assert.equal(byDefault.has('10.0.0.1'), false);
    const given = serve(['-s', ':1', '--uwsgi-allow', '10.0.0.0/8', '--uwsgi-allow', 'fd00::/8']).uwsgiAllow;
    assert.equal(given.has('10.200.0.1'), true);
    assert.equal(given.has('fd00::2'), true);
    assert.equal(given.has('127.0.0.1'), false);
  });

  it('--trusted-proxy is empty by default and takes addresses, networks and unix', () => {
    assert.equal(serve(['-s', ':1']).trustedProxies.empty, true);
    const list = serve(['-s', ':1', '--trusted-proxy', '10.0.0.2', '--trusted-proxy', '192.168.0.0/16', '--trusted-proxy', 'unix']).trustedProxies;
    assert.equal(list.has('10.0.0.2'), true);
    assert.equal(list.has('10.0.0.3'), false);
    assert.equal(list.has('192.168.7.7'), true);
    assert.equal(list.unix, true);
    assert.equal(list.has('not an address'), false);
  });

  for (const [bad, why] of [
    ['localhost', "'localhost' is not an IP address"],
    ['10.0.0.0/33', 'the prefix length must be a number from 0 to 32'],
    ['::1/129', 'the prefix length must be a number from 0 to 128'],
    ['10.0.0.0/', 'the prefix length must be a number from 0 to 32'],
  ]) {
    it(`refuses --uwsgi-allow ${bad}: ${why}`, () => {
      refused(['-s', ':1', '--uwsgi-allow', bad!], `nuwsgi: bad value for --uwsgi-allow on the command line: '${bad}' (${why}; ` +
        'expected an IP address or network, e.g. --uwsgi-allow 10.0.0.0/8 (0.0.0.0/0 and ::/0 allow everyone))');
    });
  }

  it('refuses a bad --trusted-proxy entry, naming the environment variable it came from', () => {
    assert.throws(() => parseCommandLine([...APP, '-s', ':1'], { UWSGI_TRUSTED_PROXY: '10.0.0.300' }),
      /bad value for --trusted-proxy in environment variable UWSGI_TRUSTED_PROXY: '10.0.0.300' \('10.0.0.300' is not an IP address/);
  });
});
