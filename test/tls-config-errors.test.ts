// Bad TLS configuration stops the start with one line that names the option and the file at
// fault, before anything is bound: a certificate or key that is missing, unreadable or not PEM, a
// key that does not match its certificate, a CA file that is not PEM, a cipher list that selects
// nothing. A value that is not ADDR,CERT,KEY[,CIPHERS[,CA]] is refused when the configuration is
// read, naming the file and line. An expired certificate only warns. `nuwsgi check` reports the
// same problems, all at once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testCertificates, type CertFiles, type TestCertificates } from './helpers/certs.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureApps, runCommand, runToExit, startServer } from './helpers/server.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import { stopServer } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

describe('bad TLS configuration', () => {
  let certs: TestCertificates | undefined;
  let site: CertFiles;
  let other: CertFiles;
  let expired: CertFiles;
  let dir = '';
  before(async () => {
    const openssl = findExecutable('openssl');
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    dir = certs.dir;
    site = await certs.issue('site');
    other = await certs.issue('other');
    expired = await certs.issue('expired', { expired: true });
    fs.writeFileSync(path.join(dir, 'not-pem.txt'), 'this is no certificate\n');
    fs.mkdirSync(path.join(dir, 'a-directory'));
  });
  after(() => certs?.remove());

  /** Starting with `--https VALUE` fails with exit status 1 and exactly `line` about it. */
  async function refusedAtStart(value: string, line: string): Promise<void> {
    const run = await runToExit(['--https', value, '--wsgi-file', echoApp]);
    assert.equal(run.code, 1, run.output);
    const about = run.output.split('\n').filter((text) => text.includes('--https'));
    assert.deepEqual(about, [`nuwsgi: --https ${value}: ${line}`]);
    assert.doesNotMatch(run.output, /listening on|spawned worker/, 'nothing was bound or started');
  }

  it('refuses a missing certificate and an unreadable key', async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    const missing = path.join(dir, 'missing.crt');
    await refusedAtStart(`127.0.0.1:0,${missing},${site.key}`, `cannot read the certificate file ${missing}: ENOENT (no such file)`);
    const directory = path.join(dir, 'a-directory');
    await refusedAtStart(`127.0.0.1:0,${site.cert},${directory}`, `cannot read the key file ${directory}: EISDIR (a directory)`);
  });

  it('refuses a certificate or key file that is not PEM', async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    const text = path.join(dir, 'not-pem.txt');
    await refusedAtStart(`127.0.0.1:0,${text},${site.key}`,
      `the certificate file ${text} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    const run = await runToExit(['--https', `127.0.0.1:0,${site.cert},${text}`, '--wsgi-file', echoApp]);
    assert.equal(run.code, 1);
    assert.match(run.output, new RegExp(`--https \\S+: the key file ${text.replace(/\./g, '\\.')} holds no PEM private key`));
  });

  it("refuses a key that is not the certificate's", async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    await refusedAtStart(`127.0.0.1:0,${site.cert},${other.key}`,
      `the key file ${other.key} does not match the certificate in ${site.cert}`);
  });

  it('refuses a CA file that is not PEM, with or without its !', async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    const text = path.join(dir, 'not-pem.txt');
    for (const ca of [text, `!${text}`]) {
      await refusedAtStart(`127.0.0.1:0,${site.cert},${site.key},,${ca}`,
        `the CA file ${text} is not PEM: it holds no -----BEGIN CERTIFICATE----- block`);
    }
  });

  it('refuses a cipher list that selects no cipher', async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    await refusedAtStart(`127.0.0.1:0,${site.cert},${site.key},NO-SUCH-CIPHER`,
      "the cipher list 'NO-SUCH-CIPHER' selects no cipher OpenSSL knows");
  });

  it('starts with an expired certificate, warning of it', async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    const server = await startServer(['--https', `127.0.0.1:0,${expired.cert},${expired.key}`, '--wsgi-file', echoApp]);
    try {
      assert.match(server.output(), new RegExp(`warning: --https \\S+: the certificate in ${expired.cert.replace(/\./g, '\\.')} ` +
        'expired on Feb  1 00:00:00 2020 GMT: clients will refuse it'));
      assert.match(server.output(), /HTTPS listening on 127\.0\.0\.1:\d+/);
    } finally {
      await stopServer(server);
    }
  });

  it('nuwsgi check reports every problem, and the expired certificate as a warning', async (t) => {
    if (needOpenssl(t) === undefined || certs === undefined) return;
    const missing = path.join(dir, 'missing.crt');
    const run = await runCommand(['check', '--wsgi-file', echoApp,
      '--https', `127.0.0.1:0,${missing},${site.key}`,
      '--https-socket', `${path.join(dir, 'https.sock')},${site.cert},${other.key}`,
      '--https', `127.0.0.1:0,${expired.cert},${expired.key}`], dir, { PATH: process.env.PATH });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.deepEqual(run.stderr.split('\n').filter((line) => line !== ''), [
      `nuwsgi: warning: --https 127.0.0.1:0,${expired.cert},${expired.key}: the certificate in ${expired.cert} ` +
        'expired on Feb  1 00:00:00 2020 GMT: clients will refuse it',
      `nuwsgi: --https 127.0.0.1:0,${missing},${site.key}: cannot read the certificate file ${missing}: ENOENT (no such file)`,
      `nuwsgi: --https-socket ${path.join(dir, 'https.sock')},${site.cert},${other.key}: the key file ${other.key} ` +
        `does not match the certificate in ${site.cert}`,
    ]);
  });
});

describe('the form of --https, checked when the configuration is read', () => {
  it('names the file, the line and the option for a value that is not ADDR,CERT,KEY[,CIPHERS[,CA]]', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'nuwsgi-tls-ini-'));
    try {
      const ini = path.join(dir, 'site.ini');
      fs.writeFileSync(ini, `[uwsgi]\nwsgi-file = ${echoApp}\nhttps = :8443,site.crt\n`);
      const run = await runToExit([ini]);
      assert.equal(run.code, 1);
      assert.match(run.output, new RegExp(`^nuwsgi: bad value for https in ${ini} line 3: ':8443,site\\.crt' ` +
        '\\(it has 2 comma-separated fields: the address, the certificate and the key are needed; expected ADDR,CERT,KEY', 'm'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an empty CA field, a sixth field and a bad redirect port', async () => {
    for (const [args, why] of [
      [['--https', ':8443,a.crt,a.key,,!'], 'the CA file is empty'],
      [['--https-socket', 'x.sock,a.crt,a.key,HIGH,ca.crt,more'], 'it has 6 comma-separated fields, more than the 5'],
      [['--http-to-https', ':80,https'], "'https' is not a port from 1 to 65535"],
    ] as const) {
      const run = await runToExit([...args, '--wsgi-file', echoApp]);
      assert.equal(run.code, 1);
      assert.ok(run.output.includes(why), `${args.join(' ')}: ${run.output}`);
      assert.ok(run.output.includes(args[0].slice(2)), 'the option is named');
    }
  });
});
