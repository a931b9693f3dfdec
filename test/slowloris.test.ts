// --http-timeout against a slowloris: a client that sends its request head one byte every 300 ms
// gets 408 and its connection closed once the head's time (2 s here) has passed, on a plain HTTP
// listener and over TLS, with the master's log line; while it trickles, a normal client is served.
// The only bounds on time below keep a server that never answers from hanging the test.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { testCertificates, type TestCertificates } from './helpers/certs.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import { httpRequest, stopServer, waitFor } from './helpers/wire.ts';

const HTTP_LISTENING = /HTTP listening on 127\.0\.0\.1:(\d+)/;
const HTTPS_LISTENING = /HTTPS listening on 127\.0\.0\.1:(\d+)/;
/** A head that takes a minute to send at a byte every 300 ms, far past the 2 s it gets. */
const SLOW_HEAD = `GET /slowloris HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`;
const BYTE_EVERY_MS = 300;
/** When a trickling client stops waiting for the server to close its connection. */
const GIVE_UP_MS = 15_000;
const REFUSED = /request from 127\.0\.0\.1: no complete head within 2 s: answered 408; raise it with --http-timeout/;

interface Trickled {
  /** What the server sent. */
  received: string;
  /** The bytes of the head sent before the connection closed. */
  sent: number;
  /** The server closed the connection (rather than the client giving up). */
  closedByServer: boolean;
}

interface Trickler {
  /** Resolves once the first byte went out. */
  started: Promise<void>;
  done: Promise<Trickled>;
}

/** Sends SLOW_HEAD on a connected socket a byte at a time, until the connection closes. */
function trickle(socket: net.Socket): Trickler {
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => { started = resolve; });
  const done = new Promise<Trickled>((resolve) => {
    let received = '';
    let sent = 0;
    let gaveUp = false;
    const next = () => {
      if (sent === SLOW_HEAD.length || !socket.writable) return;
      socket.write(SLOW_HEAD[sent++]);
      started();
    };
    next();
    const byByte = setInterval(next, BYTE_EVERY_MS);
    const giveUp = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, GIVE_UP_MS);
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1'); });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(byByte);
      clearTimeout(giveUp);
      resolve({ received, sent, closedByServer: !gaveUp });
    });
  });
  return { started: startedPromise, done };
}

function connectPlain(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function connectTls(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
      () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A whole request on a TLS connection of its own; what the server sent until it closed the connection. */
async function tlsGet(port: number): Promise<string> {
  const socket = await connectTls(port);
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write('GET /normal HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
}

describe('--http-timeout against a slowloris', () => {
  let server: RunningServer;
  let httpPort: number;
  let httpsPort: number | undefined;
  let certs: TestCertificates | undefined;

  before(async () => {
    const openssl = findExecutable('openssl');
    const https: string[] = [];
    if (openssl !== undefined) {
      certs = testCertificates(openssl);
      const site = await certs.issue('site', { cn: 'localhost' });
      https.push('--https', `127.0.0.1:0,${site.cert},${site.key}`);
    }
    server = await startServer(['--http', '127.0.0.1:0', ...https, '--http-timeout', '2',
      '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
    httpPort = Number(HTTP_LISTENING.exec(server.output())![1]);
    if (openssl !== undefined) httpsPort = Number(HTTPS_LISTENING.exec(server.output())![1]);
  });
  after(async () => {
    await stopServer(server);
    certs?.remove();
  });

  /** Resolves once the refusal's line is in what the server logged after `from` characters. */
  const refusalLogged = (from: number) =>
    waitFor(() => REFUSED.test(server.output().slice(from)), 10_000, 'the 408 line in the log');

  it('answers 408 to a head trickled over plain HTTP, and serves another client meanwhile', async () => {
    const logged = server.output().length;
    const slow = trickle(await connectPlain(httpPort));
    await slow.started;
    const normal = await httpRequest(`http://127.0.0.1:${httpPort}/normal`);
    assert.equal(normal.status, 200);
    const { received, sent, closedByServer } = await slow.done;
    assert.ok(closedByServer, `the server left the connection open; it sent ${JSON.stringify(received)}`);
    assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(received, /\r\nConnection: close\r\n/);
    assert.ok(sent < SLOW_HEAD.length, 'the head was never complete');
    await refusalLogged(logged);
  });

  it('answers 408 to a head trickled over TLS, and serves another client meanwhile', async (t) => {
    if (needOpenssl(t) === undefined || httpsPort === undefined) return;
    const logged = server.output().length;
    const slow = trickle(await connectTls(httpsPort));
    await slow.started;
    assert.match(await tlsGet(httpsPort), /^HTTP\/1\.1 200 OK\r\n/);
    const { received, sent, closedByServer } = await slow.done;
    assert.ok(closedByServer, `the server left the connection open; it sent ${JSON.stringify(received)}`);
    assert.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(sent < SLOW_HEAD.length, 'the head was never complete');
    await refusalLogged(logged);
  });
});
