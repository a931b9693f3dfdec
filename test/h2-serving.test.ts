// HTTP/2 and HTTP/1.1 on the same --https port, as clients see them: ALPN picks h2 for curl
// --http2 and for openssl s_client, http/1.1 for the others, and the app's environ is the same
// both ways but for SERVER_PROTOCOL; h2load's concurrent streams on several connections are all
// answered; --http2=off offers HTTP/1.1 only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testCertificates, type TestCertificates } from './helpers/certs.ts';
import { findExecutable, needExecutable } from './helpers/peers.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { alpnProtocol, curlGet, needCurl, needOpenssl, sClient } from './helpers/tls-client.ts';
import { json, stopServer, type Echo } from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');
const HTTPS_LISTENING = /HTTPS listening on 127\.0\.0\.1:(\d+)/;

interface Running {
  server: RunningServer;
  port: number;
}

/**
 * nuwsgi with an --https listener serving the echo app and more `args`, for the tests of the
 * suite it is called in: undefined without openssl (each test then skips, or fails in CI).
 */
function useHttps(args: string[]): () => Running | undefined {
  let certs: TestCertificates | undefined;
  let running: Running | undefined;
  before(async () => {
    const openssl = findExecutable('openssl');
    if (openssl === undefined) return;
    certs = testCertificates(openssl);
    const site = await certs.issue('site', { cn: 'localhost' });
    const server = await startServer(['--https', `127.0.0.1:0,${site.cert},${site.key}`, '--wsgi-file', echoApp, '-p', '2', ...args]);
    running = { server, port: Number(HTTPS_LISTENING.exec(server.output())![1]) };
  });
  after(async () => {
    await stopServer(running?.server);
    certs?.remove();
  });
  return () => running;
}

describe('HTTP/2 and HTTP/1.1 on one --https port', () => {
  const started = useHttps([]);

  it('serves curl --http2 over h2 and curl --http1.1 over HTTP/1.1, with the same environ but for the protocol', async (t) => {
    const curl = needCurl(t);
    const running = started();
    if (curl === undefined || needOpenssl(t) === undefined || running === undefined) return;
    const url = `https://127.0.0.1:${running.port}/path%20x?q=1`;
    const fields = ['--insecure', '--header', 'X-Probe: 1', '--cookie', 'a=1; b=2', '--user-agent', 'probe'];
    const h2 = await curlGet(curl, url, ['--http2', ...fields], '%{http_version}');
    const h1 = await curlGet(curl, url, fields, '%{http_version}');
    assert.equal(h2.code, 0, h2.stderr);
    assert.equal(h1.code, 0, h1.stderr);
    assert.deepEqual([h2.out, h1.out], ['2', '1.1']);
    const viaH2 = json<Echo>(Buffer.from(h2.body)).cgi;
    const viaH1 = json<Echo>(Buffer.from(h1.body)).cgi;
    assert.deepEqual([viaH2.SERVER_PROTOCOL, viaH1.SERVER_PROTOCOL], ['HTTP/2', 'HTTP/1.1']);
    const without = (cgi: Record<string, string>) => {
      const { SERVER_PROTOCOL: _protocol, REMOTE_PORT: _port, ...rest } = cgi;
      return rest;
    };
    assert.deepEqual(without(viaH2), without(viaH1));
    assert.equal(viaH2.HTTP_COOKIE, 'a=1; b=2');
    assert.equal(viaH2.PATH_INFO, '/path x');
  });

  it('chooses h2 by ALPN when the client offers it, http/1.1 otherwise', async (t) => {
    const openssl = needOpenssl(t);
    const running = started();
    if (openssl === undefined || running === undefined) return;
    assert.equal(alpnProtocol(await sClient(openssl, running.port, ['-alpn', 'h2,http/1.1'])), 'h2');
    assert.equal(alpnProtocol(await sClient(openssl, running.port, ['-alpn', 'http/1.1'])), 'http/1.1');
  });

  it("answers every request of h2load's 10 connections of 10 streams each", async (t) => {
    const h2load = needExecutable(t, 'h2load', 'nghttp2-client');
    const running = started();
    if (h2load === undefined || needOpenssl(t) === undefined || running === undefined) return;
    const output = await new Promise<string>((resolve) => {
      execFile(h2load, ['-c', '10', '-m', '10', '-n', '1000', `https://127.0.0.1:${running.port}/`], { timeout: 60_000 },
        (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    assert.match(output, /requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored/, output);
    assert.match(output, /status codes: 1000 2xx/, output);
    assert.match(output, /Application protocol: h2/, output);
  });
});

describe('--http2=off', () => {
  const started = useHttps(['--http2=off']);

  it('offers HTTP/1.1 only, to a client that asks for h2', async (t) => {
    const curl = needCurl(t);
    const openssl = needOpenssl(t);
    const running = started();
    if (curl === undefined || openssl === undefined || running === undefined) return;
    assert.equal(alpnProtocol(await sClient(openssl, running.port, ['-alpn', 'h2,http/1.1'])), 'http/1.1');
    const r = await curlGet(curl, `https://127.0.0.1:${running.port}/`, ['--http2', '--insecure'], '%{http_version}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.out, '1.1');
  });
});
