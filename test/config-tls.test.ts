// The TLS options as the configuration reads them: uWSGI's comma syntax of --https and
// --https-socket split into their fields (the CA's ! making client certificates required, an empty
// CIPHERS field meaning node's default), --http-to-https's optional port, and an HTTPS-only or
// redirect-only configuration counting as one with a listener; the uWSGI TLS options nuwsgi does
// not support refused in files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Config } from '../src/config/config.ts';
import { parseCommandLine } from '../src/config/index.ts';
import { tempDir } from './helpers/wire.ts';

function serve(argv: string[]): Config {
  const command = parseCommandLine([...argv, '--wsgi-file', 'app.py'], {});
  assert.equal(command.kind, 'serve');
  return command.config;
}

describe('the TLS options', () => {
  it('splits ADDR,CERT,KEY[,CIPHERS[,CA]]', () => {
    assert.deepEqual(serve(['--https', ':8443,site.crt,site.key']).https, [{
      spec: ':8443,site.crt,site.key', address: ':8443', cert: 'site.crt', key: 'site.key',
      ciphers: undefined, ca: undefined, clientCertificate: 'none',
    }]);
    const [optional] = serve(['--https', '[::1]:8443,a.crt,a.key,HIGH:!aNULL,clients.pem']).https;
    assert.deepEqual([optional!.address, optional!.ciphers, optional!.ca, optional!.clientCertificate],
      ['[::1]:8443', 'HIGH:!aNULL', 'clients.pem', 'optional']);
    const [required] = serve(['--https-socket', '/run/app.sock,a.crt,a.key,,!clients.pem']).httpsSocket;
    assert.deepEqual([required!.address, required!.ciphers, required!.ca, required!.clientCertificate],
      ['/run/app.sock', undefined, 'clients.pem', 'required']);
  });

  it('reads --http-to-https with and without its port', () => {
    assert.deepEqual(serve(['--http-to-https', ':80', '--http-to-https', ':8080,8443']).httpToHttps, [
      { spec: ':80', address: ':80', port: undefined },
      { spec: ':8080,8443', address: ':8080', port: '8443' },
    ]);
  });

  it('has uWSGI defaults for the sessions, and its own handshake timeout', () => {
    const config = serve(['--https', ':8443,a.crt,a.key']);
    assert.equal(config.sslSessionsTimeout, 300);
    assert.equal(config.httpsHandshakeTimeout, 10);
    assert.equal(config.httpsSessionContext, undefined);
    assert.equal(config.httpsExportCert, false);
    assert.equal(config.sslVerbose, false);
  });

  it('counts an HTTPS or a redirecting listener as a listener', () => {
    assert.equal(serve(['--https', ':8443,a.crt,a.key']).http.length, 0);
    assert.equal(serve(['--http-to-https', ':80']).httpToHttps.length, 1);
  });

  it('refuses ssl-sessions-use-cache, the SNI options and https2 in a file as not supported yet', () => {
    const dir = tempDir();
    try {
      for (const name of ['ssl-sessions-use-cache', 'sni', 'sni-dir', 'https2']) {
        const ini = path.join(dir, 'app.ini');
        fs.writeFileSync(ini, `[uwsgi]\nhttp = :0\nwsgi-file = app.py\n${name} = x\n`);
        assert.throws(() => parseCommandLine([ini], {}),
          new RegExp(`${name} in ${ini} line 4 is a uWSGI option that nuwsgi does not support yet`));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
