// Certificates reload with the server: on SIGHUP and on the master FIFO's reload verbs, every HTTPS
// listener reads its files again. A keep-alive connection made before goes on being served with the
// certificate it was made with; a new handshake gets the new certificate. Files that no longer load
// leave the certificate in use in place, and the log says why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { testCertificates, type CertFiles, type TestCertificates } from './helpers/certs.ts';
import { findExecutable } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import { parseResponse, stopServer } from './helpers/wire.ts';

/** One TLS connection speaking HTTP/1.1 keep-alive, a request at a time. */
class KeepAliveConnection {
  readonly socket: tls.TLSSocket;
  private received = Buffer.alloc(0);

  private constructor(socket: tls.TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => { this.received = Buffer.concat([this.received, chunk]); });
  }

  static open(port: number): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] },
        () => resolve(new KeepAliveConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** The CN of the certificate the server sent in this connection's handshake. */
  get serverName(): string {
    return this.socket.getPeerCertificate().subject.CN as string;
  }

  /** GET / on this connection; resolves with the status once the whole response is in. */
  async get(): Promise<number> {
    this.received = Buffer.alloc(0);
    this.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const parsed = parseResponse(this.received);
      if (parsed !== null) return parsed.response.statusCode;
      if (this.socket.destroyed || Date.now() > deadline) throw new Error('no response on the kept-alive connection');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('certificate reload', () => {
  let certs: TestCertificates | undefined;
  let server: RunningServer | undefined;
  let port = 0;
  let dir = '';
  let fifo = '';
  /** The files the listener is configured with; each step copies another certificate over them. */
  let live: CertFiles;
  let first: CertFiles;
  let second: CertFiles;
  let firstConnection: KeepAliveConnection | undefined;

  const install = (files: CertFiles) => {
    fs.copyFileSync(files.cert, live.cert);
    fs.copyFileSync(files.key, live.key);
  };

  before(async () => {
    const openssl = findExecutable('openssl');
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    dir = certs.dir;
    first = await certs.issue('first');
    second = await certs.issue('second');
    live = { cert: path.join(dir, 'live.crt'), key: path.join(dir, 'live.key') };
    fifo = path.join(dir, 'fifo');
    install(first);
    server = await startServer(['--https', `127.0.0.1:0,${live.cert},${live.key}`, '--master-fifo', fifo,
      '--wsgi-file', path.join(fixtureApps, 'echo.py')]);
    port = Number(/HTTPS listening on 127\.0\.0\.1:(\d+)/.exec(server.output())![1]);
  });
  after(async () => {
    firstConnection?.close();
    await stopServer(server);
    certs?.remove();
  });

  it('serves with the certificate it started with', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    firstConnection = await KeepAliveConnection.open(port);
    assert.equal(firstConnection.serverName, 'first');
    assert.equal(await firstConnection.get(), 200);
  });

  it('on SIGHUP, gives new handshakes the new certificate and keeps the connection made before', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined || firstConnection === undefined) return;
    install(second);
    server.proc.kill('SIGHUP');
    await server.waitForOutput(/--https \S+: certificate reloaded \(O=nuwsgi tests, CN=second, valid until /);
    await server.waitForOutput(/reload complete/);
    assert.equal(await firstConnection.get(), 200, 'the connection made before the reload is still served');
    assert.equal(firstConnection.serverName, 'first');
    assert.deepEqual(await newHandshake(port), { serverName: 'second', status: 200 });
  });

  it('keeps the certificate in use when the files no longer load (chain reload from the master FIFO)', async (t) => {
    if (needOpenssl(t) === undefined || server === undefined) return;
    // the key of another certificate: no longer a pair
    fs.copyFileSync(first.key, live.key);
    fs.writeFileSync(fifo, 'c');
    await server.waitForOutput(new RegExp(`--https \\S+: the key file ${escape(live.key)} does not match the certificate in ` +
      `${escape(live.cert)}: the certificate in use is kept`));
    assert.deepEqual(await newHandshake(port), { serverName: 'second', status: 200 });
  });
});

/** A new connection: the certificate its handshake got, and the status of a GET on it. */
async function newHandshake(port: number): Promise<{ serverName: string; status: number }> {
  const connection = await KeepAliveConnection.open(port);
  try {
    return { serverName: connection.serverName, status: await connection.get() };
  } finally {
    connection.close();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
