// Client certificates on an HTTPS listener, uWSGI's fifth field: `CA` asks for one and checks it
// against CA when the client sends one; `!CA` requires one. An accepted certificate's subject is
// HTTPS_DN, and with --https-export-cert the certificate itself, as PEM, is HTTPS_CC; a refused
// connection gets a 400 and a log line that says why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testCertificates, type CertFiles, type TestCertificates } from './helpers/certs.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { curlGet, needCurl, needOpenssl } from './helpers/tls-client.ts';
import { json, stopServer, type Echo } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

interface Setup {
  certs: TestCertificates;
  site: CertFiles;
  clientsCa: CertFiles;
  alice: CertFiles;
  /** Signed by a CA the server does not know. */
  mallory: CertFiles;
}

async function makeSetup(): Promise<Setup | undefined> {
  const openssl = findExecutable('openssl');
  if (openssl === undefined) return undefined;
  const certs = testCertificates(openssl);
  const site = await certs.issue('site', { cn: 'localhost' });
  const clientsCa = await certs.ca('clients-ca');
  const otherCa = await certs.ca('other-ca');
  return {
    certs, site, clientsCa,
    alice: await certs.issue('alice', { issuer: clientsCa }),
    mallory: await certs.issue('mallory', { issuer: otherCa }),
  };
}

async function startHttps(setup: Setup, caField: string, more: string[] = []): Promise<{ server: RunningServer; url: string }> {
  const server = await startServer(['--https', `127.0.0.1:0,${setup.site.cert},${setup.site.key},,${caField}`,
    ...more, '--wsgi-file', echoApp]);
  const port = /HTTPS listening on 127\.0\.0\.1:(\d+)/.exec(server.output())![1];
  return { server, url: `https://127.0.0.1:${port}/` };
}

function withCert(cert: CertFiles): string[] {
  return ['--insecure', '--cert', cert.cert, '--key', cert.key];
}

describe('CA: a client certificate asked for, checked when sent (with --https-export-cert)', () => {
  let setup: Setup | undefined;
  let running: { server: RunningServer; url: string } | undefined;
  before(async () => {
    setup = await makeSetup();
    if (setup !== undefined) running = await startHttps(setup, setup.clientsCa.cert, ['--https-export-cert']);
  });
  after(async () => {
    await stopServer(running?.server);
    setup?.certs.remove();
  });

  it('serves a client without a certificate, with no HTTPS_DN', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || running === undefined) return;
    const r = await curlGet(curl, running.url, ['--insecure']);
    assert.equal(r.out, '200', r.stderr);
    const echo = json<Echo>(Buffer.from(r.body));
    assert.equal(echo.cgi.HTTPS, 'on');
    assert.equal(echo.cgi.HTTPS_DN, undefined);
    assert.equal(echo.cgi.HTTPS_CC, undefined);
  });

  it("gives the app a signed certificate's subject in HTTPS_DN and its PEM in HTTPS_CC", async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || running === undefined || setup === undefined) return;
    const r = await curlGet(curl, running.url, withCert(setup.alice));
    assert.equal(r.out, '200', r.stderr);
    const echo = json<Echo>(Buffer.from(r.body));
    assert.equal(echo.cgi.HTTPS_DN, '/O=nuwsgi tests/CN=alice');
    assert.equal(echo.cgi.HTTPS_CC?.trim(), fs.readFileSync(setup.alice.cert, 'latin1').trim());
  });

  it('refuses a certificate the CA did not sign, with a 400 and a log line', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || running === undefined || setup === undefined) return;
    const r = await curlGet(curl, running.url, withCert(setup.mallory));
    assert.equal(r.out, '400', r.stderr);
    await running.server.waitForOutput(
      /TLS client 127\.0\.0\.1 on --https \S+: its client certificate is refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE: answered 400/);
  });
});

describe('!CA: a client certificate required', () => {
  let setup: Setup | undefined;
  let running: { server: RunningServer; url: string } | undefined;
  before(async () => {
    setup = await makeSetup();
    if (setup !== undefined) running = await startHttps(setup, `!${setup.clientsCa.cert}`);
  });
  after(async () => {
    await stopServer(running?.server);
    setup?.certs.remove();
  });

  it('refuses a client without a certificate, with a 400 and a log line', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || running === undefined) return;
    const r = await curlGet(curl, running.url, ['--insecure']);
    assert.equal(r.out, '400', r.stderr);
    await running.server.waitForOutput(
      /TLS client 127\.0\.0\.1 on --https \S+: no client certificate, which the ! before the CA requires: answered 400/);
  });

  it('serves a client with a signed certificate, without HTTPS_CC (no --https-export-cert)', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || running === undefined || setup === undefined) return;
    const r = await curlGet(curl, running.url, withCert(setup.alice));
    assert.equal(r.out, '200', r.stderr);
    const echo = json<Echo>(Buffer.from(r.body));
    assert.equal(echo.cgi.HTTPS_DN, '/O=nuwsgi tests/CN=alice');
    assert.equal(echo.cgi.HTTPS_CC, undefined);
  });
});
