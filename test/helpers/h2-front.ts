// The HTTP/2 front in process, for the tests of its streams (h2-writer.test.ts): a TLS server of
// the test's own (a self-signed certificate from certs.ts) hands the connections whose ALPN said
// h2 to an H2Front, in front of the real router and dispatcher and a fake carrier in place of a
// worker (fake-carrier.ts). h2Connect() and h2Request() are a node:http2 client's, for any h2 port.
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import tls from 'node:tls';
import { AddressList } from '../../src/config/address-list.ts';
import { H2Front, type H2Options } from '../../src/listeners/h2.ts';
import { Dispatcher } from '../../src/router/dispatcher.ts';
import type { Exchange } from '../../src/router/exchange.ts';
import { Router } from '../../src/router/router.ts';
import { testCertificates } from './certs.ts';
import { FakeCarrier } from './fake-carrier.ts';
import { findExecutable } from './peers.ts';

const DEFAULT_H2_OPTIONS: H2Options = {
  maxConcurrentStreams: 100, maxHeaders: 100, maxHeadSize: 4096, idleTimeoutMs: 75_000, settingsTimeoutMs: 10_000,
  streamTimeoutMs: 60_000, maxResetsPerSecond: 100, addHeaders: [],
};

export interface InProcessFront {
  port: number;
  carrier: FakeCarrier;
  close(): Promise<void>;
}

/**
 * A carrier that answers every GET by itself, `200 OK` and its request line, as slow.py does: after
 * `sleep=SECONDS` when the query has it, else at once. It keeps every other request.
 */
class AnsweringCarrier extends FakeCarrier {
  override assign(exchange: Exchange): void {
    super.assign(exchange);
    const { id } = this.assigned[this.assigned.length - 1]!;
    if (!exchange.subject.startsWith('GET ')) return;
    const sleep = /[?&]sleep=([\d.]+)/.exec(exchange.subject);
    setTimeout(() => this.respond(id, '200 OK', ['Content-Type', 'text/plain'], exchange.subject), sleep === null ? 0 : Number(sleep[1]) * 1000);
  }
}

/** The front with a fake carrier; with `answering`, one that answers GETs by itself. */
export async function startInProcessFront(options: Partial<H2Options> = {}, answering = false): Promise<InProcessFront> {
  const openssl = findExecutable('openssl');
  if (openssl === undefined) throw new Error('openssl is not installed (no openssl on PATH): apt-get install openssl');
  const certs = testCertificates(openssl);
  const files = await certs.issue('site', { cn: 'localhost' });
  const carrier = answering ? new AnsweringCarrier(1000, 1000) : new FakeCarrier();
  const dispatcher = new Dispatcher(10);
  dispatcher.addWorker(carrier);
  const router = new Router(dispatcher, { limitPost: 0, postBuffering: 0 });
  const context = {
    serverName: os.hostname(), serverPort: '0', scheme: 'https' as const, trustedProxies: new AddressList([]), unix: false, maxHeaders: 100,
  };
  const front = new H2Front(router, context, { ...DEFAULT_H2_OPTIONS, ...options });
  const server = tls.createServer({ cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), ALPNProtocols: ['h2'] });
  server.on('secureConnection', (socket) => front.accept(socket, '\0HTTPS\0on'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  context.serverPort = String(port);
  return {
    port,
    carrier,
    close: async () => {
      front.closeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certs.remove();
    },
  };
}

/** An h2 client session on `port`, trusting any certificate, once it has the server's SETTINGS. */
export function h2Connect(port: number, settings: http2.Settings = {}): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, settings });
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

export interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  /** The RST_STREAM code the server ended the stream with (0: a complete response). */
  rstCode: number;
}

/** One request on `session`: its head, an optional body, and the whole reply. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Reply> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    const parts: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.on('error', () => {});
    stream.on('close', () => resolve({ status, headers: responseHeaders, body: Buffer.concat(parts), rstCode: stream.rstCode ?? 0 }));
    if (body !== undefined) stream.end(body);
  });
}
