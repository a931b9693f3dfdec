// The contenders that speak TLS (the tls, h2 and tls-handshake scenarios), each with a
// certificate of its own made in setup.dir (test/helpers/certs.ts: an EC P-256 key, self-signed):
// the bare Node responders that are the ceiling of a Node front over TLS, nginx terminating TLS in
// front of uWSGI (the classic deployment), uWSGI's own HTTPS router, and nuwsgi's --https.
import { findOption } from '../src/config/options.ts';
import { testCertificates, type CertFiles } from '../test/helpers/certs.ts';
import { freePort } from '../test/helpers/nginx.ts';
import { startServer } from '../test/helpers/server.ts';
import { stopServer } from '../test/helpers/wire.ts';
import { HELLO_HANDLER } from './hello-responder.ts';
import {
  behindNginx, NGINX, nuwsgiArgs, nuwsgiProcesses, overTls, program, startListening, UWSGI, uwsgiBackend, uwsgiHttp,
  type Contender, type Server, type Setup,
} from './launch.ts';

const OPENSSL = { openssl: 'openssl' };

/** A TLS contender: which protocols it offers by ALPN decides how the h2 scenario loads it. */
export interface TlsContender extends Contender {
  /** It offers h2 by ALPN; the h2 scenario measures the others over HTTP/1.1. */
  h2: boolean;
}

/** The contender's own certificate and key, in setup.dir. */
const certificate = (setup: Setup, name: string): Promise<CertFiles> =>
  testCertificates(program('openssl'), setup.dir).issue(`${name}-${Date.now()}`, { cn: '127.0.0.1' });

// The ceiling of any Node front over TLS, HTTP/1.1: node:https answering hello world itself, no
// Python behind it. argv: port, certificate, key.
const BARE_NODE_HTTPS = `const fs = require('node:fs');
require('node:https').createServer({ cert: fs.readFileSync(process.argv[2]), key: fs.readFileSync(process.argv[3]) },
  ${HELLO_HANDLER}).listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1024 });`;

// The ceiling of a Node front that serves HTTP/2 and HTTP/1.1 on one TLS port, as nuwsgi's --https
// does: node:http2's secure server with allowHTTP1, answering hello world through the compatibility
// API (the same handler as node:http's), no Python behind it. Node's default settings.
const BARE_NODE_HTTP2 = `const fs = require('node:fs');
require('node:http2').createSecureServer({ cert: fs.readFileSync(process.argv[2]), key: fs.readFileSync(process.argv[3]), allowHTTP1: true },
  ${HELLO_HANDLER}).listen({ port: Number(process.argv[1]), host: '127.0.0.1', backlog: 1024 });`;

async function bareNode(setup: Setup, name: string, script: string): Promise<Server> {
  const { cert, key } = await certificate(setup, name);
  const port = await freePort();
  const server = await startListening('node', process.execPath, ['-e', script, String(port), cert, key], port);
  return { ...server, url: overTls(server.url) };
}

/** nuwsgi with uWSGI's `--https ADDR,CERT,KEY` listener. */
async function nuwsgiHttps(setup: Setup): Promise<Server> {
  const { cert, key } = await certificate(setup, 'nuwsgi');
  const port = await freePort();
  const server = await startServer(['--https', `127.0.0.1:${port},${cert},${key}`, ...nuwsgiArgs(setup)], { env: setup.env });
  return { url: `https://127.0.0.1:${port}`, pid: server.pid, processes: () => nuwsgiProcesses(server.pid), stop: () => stopServer(server) };
}

export const tlsContenders = {
  'nuwsgi-https': {
    name: 'nuwsgi --https',
    needs: OPENSSL,
    h2: true,
    start: (setup) => nuwsgiHttps(setup),
    unavailable: () => (findOption('https') === undefined ? 'this nuwsgi has no --https option yet' : undefined),
  },
  'node-https': {
    name: 'bare node:https (no Python)',
    needs: OPENSSL,
    h2: false,
    start: (setup) => bareNode(setup, 'node-https', BARE_NODE_HTTPS),
  },
  'node-http2': {
    name: 'bare node:http2, allowHTTP1 (no Python)',
    needs: OPENSSL,
    h2: true,
    start: (setup) => bareNode(setup, 'node-http2', BARE_NODE_HTTP2),
  },
  // nginx 1.22's `listen PORT ssl http2;`: HTTP/1.1 and h2 by ALPN on one port, uwsgi_pass to uWSGI on
  // a unix socket. nginx's defaults otherwise, as a deployment has them (a keep-alive connection,
  // h2 included, is closed after 1,000 requests, and the client opens a new one).
  'nginx-tls-uwsgi': {
    name: 'nginx (TLS, h2) → uWSGI (unix socket)',
    needs: { ...NGINX, ...UWSGI, ...OPENSSL },
    h2: true,
    start: async (setup) => behindNginx(setup, (socket) => uwsgiBackend(setup, socket), await certificate(setup, 'nginx')),
  },
  // uWSGI's HTTP router with its TLS listener (`--https ADDR,CERT,KEY`): HTTP/1.1 only (it offers
  // nothing by ALPN), with keep-alive as its `--http` contender has it.
  'uwsgi-https': {
    name: 'uWSGI --https --http-keepalive (HTTP/1.1 only)',
    needs: { ...UWSGI, ...OPENSSL },
    h2: false,
    start: async (setup) => {
      const { cert, key } = await certificate(setup, 'uwsgi');
      const server = await uwsgiHttp(setup, ['--https', `127.0.0.1:PORT,${cert},${key}`, '--http-keepalive']);
      return { ...server, url: overTls(server.url) };
    },
  },
} satisfies Record<string, TlsContender>;
