// `--https ADDR,CERT,KEY`: HTTP/1.1 over TLS on the master's listener. curl sees the app's environ
// say https (HTTPS=on, wsgi.url_scheme, SERVER_PORT the TLS port) from the listener itself; a
// keep-alive connection serves several requests, and is closed when idle as over HTTP; the
// handshake offers TLS 1.2 and 1.3 only, and ALPN h2 and http/1.1; sessions resume; plain HTTP
// sent to the port gets a 400 and a log line; a client that sends nothing, or stalls in its
// handshake, is closed after --https-handshake-timeout. --https-socket serves a unix socket the same way;
// --ssl-verbose logs each failed handshake with OpenSSL's reason.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testCertificates, type CertFiles, type TestCertificates } from './helpers/certs.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { alpnProtocol, curlGet, negotiatedProtocol, needCurl, needOpenssl, sClient } from './helpers/tls-client.ts';
import { json, rawExchange, stopServer, waitFor, type Echo } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');
const HTTPS_LISTENING = /HTTPS listening on 127\.0\.0\.1:(\d+)/;

describe('--https serving HTTP/1.1 over TLS', () => {
  let certs: TestCertificates | undefined;
  let ca: CertFiles;
  let server: RunningServer | undefined;
  let port = 0;

  before(async () => {
    const openssl = findExecutable('openssl');
    // without it every test skips (fails in CI), saying so
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    ca = await certs.ca('test-ca');
    const site = await certs.issue('site', { cn: 'localhost', issuer: ca });
    server = await startServer(['--https', `127.0.0.1:0,${site.cert},${site.key}`, '--https-handshake-timeout', '1',
      '--http-keepalive=2', '--wsgi-file', echoApp]);
    port = Number(HTTPS_LISTENING.exec(server.output())![1]);
  });
  after(async () => {
    await stopServer(server);
    certs?.remove();
  });

  it('gives the app an https environ, from the listener', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || server === undefined) return;
    const r = await curlGet(curl, `https://localhost:${port}/path?q=1`, ['--cacert', ca.cert,
      '--resolve', `localhost:${port}:127.0.0.1`, '--header', 'X-Forwarded-Proto: http']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out, '200');
    const echo = json<Echo>(Buffer.from(r.body));
    assert.equal(echo.cgi.HTTPS, 'on');
    assert.equal(echo.wsgi['wsgi.url_scheme']!.value, 'https');
    assert.equal(echo.cgi.SERVER_PORT, String(port));
    assert.equal(echo.cgi.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(echo.path, '/path');
    assert.equal(echo.query, 'q=1');
    assert.equal(echo.cgi.HTTPS_DN, undefined, 'no client certificate was asked for');
  });

  it('serves several requests on one keep-alive connection', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || server === undefined) return;
    const url = `https://127.0.0.1:${port}/`;
    // the second transfer made no connection of its own: it reused the first's
    const r = await curlGet(curl, [url, url], ['--insecure'], '%{num_connects}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out, '0');
  });

  it("closes an idle keep-alive connection after --http-keepalive, as the HTTP front's own timers do", async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const received = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
      socket.on('error', reject);
      // resolves only once the server ends the connection, which the client never does
      socket.on('close', () => resolve(text));
    });
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nKeep-Alive: timeout=2\r\n/);
  });

  it('negotiates TLS 1.2 or 1.3 and ALPN h2 or http/1.1; refuses TLS 1.1', async (t) => {
    const openssl = needOpenssl(t);
    if (openssl === undefined || server === undefined) return;
    const tls13 = await sClient(openssl, port, ['-alpn', 'h2,http/1.1']);
    assert.equal(negotiatedProtocol(tls13), 'TLSv1.3', tls13);
    assert.equal(alpnProtocol(tls13), 'h2');
    assert.equal(alpnProtocol(await sClient(openssl, port, ['-alpn', 'http/1.1'])), 'http/1.1');
    const tls12 = await sClient(openssl, port, ['-tls1_2']);
    assert.equal(negotiatedProtocol(tls12), 'TLSv1.2', tls12);
    const tls11 = await sClient(openssl, port, ['-tls1_1']);
    assert.match(tls11, /alert protocol version|no protocols available|unsupported protocol/i);
    await server.waitForOutput(/TLS handshake from 127\.0\.0\.1 on --https \S+ failed \(ERR_SSL_UNSUPPORTED_PROTOCOL\)/);
  });

  it('resumes TLS sessions (tickets)', async (t) => {
    const openssl = needOpenssl(t);
    if (openssl === undefined || server === undefined || certs === undefined) return;
    const session = path.join(certs.dir, 'session.pem');
    for (const version of ['-tls1_2', '-tls1_3']) {
      const first = await sClient(openssl, port, [version, '-sess_out', session], 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(first, /^New, /m, first);
      const again = await sClient(openssl, port, [version, '-sess_in', session]);
      assert.match(again, /^Reused, /m, `${version}: ${again}`);
    }
  });

  it('answers plain HTTP sent to the TLS port with a 400, and logs it', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const { data } = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(data.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
    await server.waitForOutput(/plain HTTP request from 127\.0\.0\.1 on --https \S+: the client did not start TLS \(use https:\/\/\): answered 400/);
  });

  it('closes a connection that sends nothing, and one that stalls in its handshake', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    const silent = await closedBy(port, null);
    assert.equal(silent.received, 0);
    await server.waitForOutput(/TLS connection from 127\.0\.0\.1: nothing received within 1 s \(--https-handshake-timeout\): closed/);
    // the first bytes of a ClientHello record, then nothing
    const stalled = await closedBy(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    assert.equal(stalled.received, 0);
    await server.waitForOutput(/TLS handshake from 127\.0\.0\.1: not complete within 1 s \(--https-handshake-timeout\): closed/);
  });

  it('still serves after all that', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || server === undefined) return;
    const r = await curlGet(curl, `https://127.0.0.1:${port}/`, ['--insecure']);
    assert.equal(r.out, '200', r.stderr);
  });
});

describe('--https-socket on a unix socket, with --ssl-verbose', () => {
  let certs: TestCertificates | undefined;
  let server: RunningServer | undefined;
  let socketPath = '';
  before(async () => {
    const openssl = findExecutable('openssl');
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    const site = await certs.issue('site', { cn: 'localhost' });
    socketPath = path.join(certs.dir, 'https.sock');
    server = await startServer(['--https-socket', `${socketPath},${site.cert},${site.key}`, '--ssl-verbose', '--wsgi-file', echoApp]);
  });
  after(async () => {
    await stopServer(server);
    certs?.remove();
  });

  it('serves HTTPS on the unix socket; SERVER_PORT is 443 there', async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || server === undefined) return;
    assert.ok(server.output().includes(`HTTPS listening on ${socketPath}\n`));
    const r = await curlGet(curl, 'https://localhost/unix', ['--insecure', '--unix-socket', socketPath]);
    assert.equal(r.out, '200', r.stderr);
    const echo = json<Echo>(Buffer.from(r.body));
    assert.equal(echo.cgi.HTTPS, 'on');
    assert.equal(echo.cgi.SERVER_PORT, '443');
  });

  it("logs every failed handshake with OpenSSL's reason", async (t) => {
    const curl = needCurl(t);
    if (curl === undefined || needOpenssl(t) === undefined || server === undefined) return;
    for (let i = 0; i < 2; i++) {
      const r = await curlGet(curl, 'https://localhost/', ['--insecure', '--unix-socket', socketPath, '--tlsv1.0', '--tls-max', '1.1']);
      assert.notEqual(r.code, 0);
    }
    const failed = /TLS handshake from a unix socket peer on --https-socket \S+ failed \(ERR_SSL_UNSUPPORTED_PROTOCOL: unsupported protocol \(SSL routines\)\)$/gm;
    await waitFor(() => (server!.output().match(failed) ?? []).length === 2, 10_000, 'both failures logged');
  });
});

/** Connects, sends `bytes` (if any), and resolves once the server closed the connection. */
function closedBy(port: number, bytes: Buffer | null): Promise<{ received: number }> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = net.connect(port, '127.0.0.1', () => {
      if (bytes !== null) socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => { received += chunk.length; });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ received }));
    setTimeout(() => { socket.destroy(); reject(new Error('the server did not close the connection')); }, 15_000).unref();
  });
}
