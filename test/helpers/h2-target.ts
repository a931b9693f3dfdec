// What the HTTP/2 limit and attack tests run against: nuwsgi itself, with an --https listener on
// loopback (a self-signed certificate from certs.ts), the given http2-* options and the slow.py
// fixture app (`/?sleep=SECONDS` answers after that long, 1 s by default), its log, and a normal
// client's request on a connection of its own.
import path from 'node:path';
import type { TestContext } from 'node:test';
import { testCertificates } from './certs.ts';
import { findExecutable } from './peers.ts';
import { h2Connect, h2Request, type H2Reply } from './h2-front.ts';
import { fixtureApps, startServer, type RunningServer } from './server.ts';
import { needOpenssl } from './tls-client.ts';
import { stopServer } from './wire.ts';

export interface H2Target {
  server: RunningServer;
  port: number;
  stop(): Promise<void>;
}

const HTTPS_LISTENING = /HTTPS listening on 127\.0\.0\.1:(\d+)/;

/**
 * nuwsgi on an h2 port with `args`; undefined without openssl, and then each test calls
 * needTarget(), which skips it (fails it in CI) saying so.
 */
export async function startH2Target(args: string[], app = 'slow.py'): Promise<H2Target | undefined> {
  const openssl = findExecutable('openssl');
  if (openssl === undefined) return undefined;
  const certs = testCertificates(openssl);
  const site = await certs.issue('site', { cn: 'localhost' });
  const server = await startServer(['--https', `127.0.0.1:0,${site.cert},${site.key}`, '--wsgi-file', path.join(fixtureApps, app),
    '-p', '2', ...args]);
  return {
    server,
    port: Number(HTTPS_LISTENING.exec(server.output())![1]),
    stop: async () => {
      await stopServer(server);
      certs.remove();
    },
  };
}

/** The target, or undefined when the test cannot run (see startH2Target). */
export function needTarget(t: TestContext, target: H2Target | undefined): H2Target | undefined {
  if (target === undefined) needOpenssl(t);
  return target;
}

/** A GET on a connection of its own, as a client that has nothing to do with an attack. */
export async function normalRequest(port: number): Promise<H2Reply> {
  const session = await h2Connect(port);
  try {
    return await h2Request(session, { ':path': '/?sleep=0&id=normal' });
  } finally {
    session.close();
  }
}
