// Client certificates on an HTTPS listener, uWSGI's fifth field: `CA` asks for one and checks it
// against CA when the client sends one; `!CA` requires one. An accepted certificate's subject is
// HTTPS_DN, and with --https-export-cert the certificate itself, as PEM, is HTTPS_CC; a refused
// connection gets a 400, over HTTP/1.1 or h2 as it chose, and a log line that says why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
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

/**
 * A server with the echo app on an HTTPS listener whose CA field is `caField(setup)`, started
 * before the tests of the describe block it is called in and stopped after them.
 */
function useHttps(caField: (setup: Setup) => string, more: string[] = []) {
  let setup: Setup | undefined;
  let server: RunningServer | undefined;
  let url = '';
  before(async () => {
    setup = await makeSetup();
    if (setup === undefined) return;
    server = await startServer(['--https', `127.0.0.1:0,${setup.site.cert},${setup.site.key},,${caField(setup)}`,
      ...more, '--wsgi-file', echoApp]);
    url = `https://127.0.0.1:${/HTTPS listening on 127\.0\.0\.1:(\d+)/.exec(server.output())![1]}/`;
  });
  after(async () => {
    await stopServer(server);
    setup?.certs.remove();
  });
  /** The server, its URL and the certificates, once started (undefined without openssl). */
  return () => (setup === undefined || server === undefined ? undefined : { setup, server, url });
}

type Started = ReturnType<typeof useHttps>;

/**
 * GET / on the started server with the client certificate `certificate` picks (none: without
 * one); undefined when a peer is missing (the test is then skipped, or failed in CI).
 */
async function get(t: TestContext, started: Started, certificate?: (setup: Setup) => CertFiles,
  how: { args: string[]; writeOut?: string } = { args: [] }) {
  const curl = needCurl(t);
  const running = started();
  if (curl === undefined || needOpenssl(t) === undefined || running === undefined) return undefined;
  const chosen = certificate?.(running.setup);
  const r = await curlGet(curl, running.url,
    ['--insecure', ...how.args, ...(chosen === undefined ? [] : ['--cert', chosen.cert, '--key', chosen.key])], how.writeOut);
  return { ...running, status: r.out, stderr: r.stderr, echo: () => json<Echo>(Buffer.from(r.body)) };
}

describe('CA: a client certificate asked for, checked when sent (with --https-export-cert)', () => {
  const started = useHttps((setup) => setup.clientsCa.cert, ['--https-export-cert']);

  it('serves a client without a certificate, with no HTTPS_DN', async (t) => {
    const got = await get(t, started);
    if (got === undefined) return;
    assert.equal(got.status, '200', got.stderr);
    const echo = got.echo();
    assert.equal(echo.cgi.HTTPS, 'on');
    assert.equal(echo.cgi.HTTPS_DN, undefined);
    assert.equal(echo.cgi.HTTPS_CC, undefined);
    assert.equal(echo.cgi.HTTPS_CLIENT_CERTIFICATE, undefined);
  });

  it("gives the app a signed certificate's subject in HTTPS_DN and its PEM in HTTPS_CC", async (t) => {
    const got = await get(t, started, (setup) => setup.alice);
    if (got === undefined) return;
    assert.equal(got.status, '200', got.stderr);
    const echo = got.echo();
    assert.equal(echo.cgi.HTTPS_DN, '/O=nuwsgi tests/CN=alice');
    assert.equal(echo.cgi.HTTPS_CC?.trim(), fs.readFileSync(got.setup.alice.cert, 'latin1').trim());
    assert.equal(echo.cgi.HTTPS_CLIENT_CERTIFICATE, echo.cgi.HTTPS_CC);
  });

  it('refuses a certificate the CA did not sign, with a 400 and a log line', async (t) => {
    const got = await get(t, started, (setup) => setup.mallory);
    if (got === undefined) return;
    assert.equal(got.status, '400', got.stderr);
    await got.server.waitForOutput(
      /TLS client 127\.0\.0\.1 on --https \S+: its client certificate is refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE: answered 400/);
  });
});

describe('!CA: a client certificate required', () => {
  const started = useHttps((setup) => `!${setup.clientsCa.cert}`);

  it('refuses a client without a certificate, with a 400 and a log line', async (t) => {
    const got = await get(t, started);
    if (got === undefined) return;
    assert.equal(got.status, '400', got.stderr);
    await got.server.waitForOutput(
      /TLS client 127\.0\.0\.1 on --https \S+: no client certificate, which the ! before the CA requires: answered 400/);
  });

  it('answers an h2 client without a certificate in h2: a 400 it can read, and a log line', async (t) => {
    const got = await get(t, started, undefined, { args: ['--http2'], writeOut: '%{http_code} HTTP/%{http_version}' });
    if (got === undefined) return;
    assert.equal(got.status, '400 HTTP/2', got.stderr);
    await got.server.waitForOutput(/TLS client 127\.0\.0\.1 on --https \S+: no client certificate, which the ! before the CA requires: answered 400/);
  });

  it('serves an h2 client with a signed certificate', async (t) => {
    const got = await get(t, started, (setup) => setup.alice, { args: ['--http2'], writeOut: '%{http_code} HTTP/%{http_version}' });
    if (got === undefined) return;
    assert.equal(got.status, '200 HTTP/2', got.stderr);
    assert.equal(got.echo().cgi.HTTPS_DN, '/O=nuwsgi tests/CN=alice');
  });

  it('serves a client with a signed certificate, without HTTPS_CC (no --https-export-cert)', async (t) => {
    const got = await get(t, started, (setup) => setup.alice);
    if (got === undefined) return;
    assert.equal(got.status, '200', got.stderr);
    const echo = got.echo();
    assert.equal(echo.cgi.HTTPS_DN, '/O=nuwsgi tests/CN=alice');
    assert.equal(echo.cgi.HTTPS_CC, undefined);
  });
});
