// nginx in front of nuwsgi with `uwsgi_pass` and Debian's `include uwsgi_params;`, over a unix
// socket (`--socket PATH --chmod-socket=660 --vacuum`, as in the classic ini) and over a TCP socket
// (`--socket 127.0.0.1:PORT`). Each fixture app runs in its own nuwsgi, behind its own server block
// of one nginx: requests, bodies of every kind, large heads, streamed and bodiless responses, and
// the environ the app gets from nginx's parameters.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  freePort, needNginx, startNginx, startNuwsgiSocket, uwsgiPassTarget, uwsgiSite, type RunningNginx,
} from './helpers/nginx.ts';
import { fixtureApps, type RunningServer } from './helpers/server.ts';
import {
  RawClient, downloadSha256, header, httpRequest, json, parseAll, sha256, stopServer, tempDir, type Echo,
} from './helpers/wire.ts';

const MiB = 1024 * 1024;

/**
 * The backends: a fixture app each, served by its own nuwsgi behind its own nginx server block.
 * All but `defaultBuffer` get `--buffer-size 32768`, for 16 KiB of request headers.
 */
const apps = {
  echo: { file: 'echo.py', args: ['--buffer-size', '32768'] },
  upload: { file: 'upload.py', args: ['--buffer-size', '32768'] },
  streaming: { file: 'streaming.py', args: ['--buffer-size', '32768'] },
  responses: { file: 'responses.py', args: ['--buffer-size', '32768'] },
  defaultBuffer: { file: 'echo.py', args: [] },
} as const;
type AppName = keyof typeof apps;

interface Backend {
  socket: string;
  server: RunningServer;
  /** The nginx port whose server block passes to this backend. */
  port: number;
}

interface Setup {
  dir: string;
  nginx: RunningNginx;
  backends: Record<AppName, Backend>;
  url(app: AppName, target: string): string;
}

/** Errors nginx logs when an upstream misbehaves; [warn] and [info] lines (buffered bodies, probes) are fine. */
const NGINX_ERRORS = /\[(error|crit|alert|emerg)\]/;

/**
 * Starts one nuwsgi per fixture app on a `transport` socket and one nginx in front of them all,
 * and registers their shutdown (then the removal of the temporary directory) on `t`.
 */
async function setUp(t: TestContext, nginxPath: string, transport: 'unix' | 'tcp'): Promise<Setup> {
  const dir = tempDir('nuwsgi-nginx-pass-');
  const started: RunningServer[] = [];
  let nginx: RunningNginx | undefined;
  t.after(async () => {
    await nginx?.stop();
    await Promise.all(started.map((s) => stopServer(s)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const names = Object.keys(apps) as AppName[];
  const backends = Object.fromEntries(await Promise.all(names.map(async (name) => {
    const socket = transport === 'unix' ? path.join(dir, `${name}.sock`) : `127.0.0.1:${await freePort()}`;
    const socketArgs = transport === 'unix' ? ['--chmod-socket=660', '--vacuum'] : [];
    const server = await startNuwsgiSocket(socket, [
      '--wsgi-file', path.join(fixtureApps, apps[name].file), ...socketArgs, '--master', '--processes', '1', ...apps[name].args,
    ]);
    started.push(server);
    return [name, { socket, server, port: await freePort() }] as const;
  }))) as Record<AppName, Backend>;

  const sites = names.map((name) => uwsgiSite({
    port: backends[name].port,
    pass: uwsgiPassTarget(backends[name].socket),
    root: path.join(dir, 'www'),
    server: 'client_max_body_size 200m;\nlarge_client_header_buffers 4 32k;',
    // A streaming app wants its chunks passed on as they come, not collected into nginx's buffers.
    location: name === 'streaming' ? 'uwsgi_buffering off;' : undefined,
  })).join('\n');
  nginx = await startNginx(nginxPath, { dir, port: backends.echo.port, http: sites });
  return {
    dir, nginx, backends,
    url: (app, target) => `http://127.0.0.1:${backends[app].port}${target}`,
  };
}

/** Sends `request` on a fresh connection to nginx and returns every response it got until nginx closed. */
async function rawResponses(port: number, request: string, heads: boolean[] = []) {
  const client = await RawClient.connect(port);
  try {
    client.write(request);
    return parseAll(await client.readToEnd(), heads);
  } finally {
    client.close();
  }
}

async function passTests(t: TestContext, transport: 'unix' | 'tcp') {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  const s = await setUp(t, nginxPath, transport);

  if (transport === 'unix') {
    await t.test('the socket is created with --chmod-socket=660 mode 660', () => {
      const st = fs.statSync(s.backends.echo.socket);
      assert.ok(st.isSocket(), `${s.backends.echo.socket} is a socket`);
      assert.equal((st.mode & 0o777).toString(8), '660');
    });
  }

  await t.test('GET: the environ holds the values of nginx\'s uwsgi_params', async () => {
    const r = await httpRequest(s.url('echo', '/env/some%20path?x=1&y=%20z'), {
      headers: { 'Host': 'example.test:8080', 'User-Agent': 'nuwsgi-test', 'X-Custom-Header': 'value' },
    });
    assert.equal(r.status, 200, r.body.toString('latin1'));
    const echo = json<Echo>(r.body);
    const e = echo.cgi;
    assert.equal(e.REQUEST_METHOD, 'GET');
    assert.equal(e.REQUEST_URI, '/env/some%20path?x=1&y=%20z', 'REQUEST_URI is $request_uri, raw');
    assert.equal(e.PATH_INFO, '/env/some path', 'PATH_INFO is $document_uri, decoded');
    assert.equal(e.QUERY_STRING, 'x=1&y=%20z');
    assert.equal(e.SERVER_NAME, 'nuwsgi.test', 'SERVER_NAME is the server_name');
    assert.equal(e.SERVER_PORT, String(s.backends.echo.port), 'SERVER_PORT is nginx\'s port');
    assert.equal(e.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(e.REMOTE_ADDR, '127.0.0.1');
    assert.equal(e.REMOTE_PORT, String(r.localPort), 'REMOTE_PORT is the client\'s port as nginx saw it');
    assert.equal(e.REQUEST_SCHEME, 'http');
    assert.equal(e.DOCUMENT_ROOT, path.join(s.dir, 'www'));
    assert.equal(e.HTTPS, undefined, 'HTTPS is only sent for TLS requests (if_not_empty)');
    // Debian's uwsgi_params sends `HTTP_HOST $host` (the host without the port), so nginx does not
    // pass the client's own Host header on.
    assert.equal(e.HTTP_HOST, 'example.test');
    assert.equal(e.HTTP_USER_AGENT, 'nuwsgi-test');
    assert.equal(e.HTTP_X_CUSTOM_HEADER, 'value');
    assert.equal(e.SCRIPT_NAME ?? '', '', 'nginx sends no SCRIPT_NAME');
    assert.ok([undefined, '', '0'].includes(e.CONTENT_LENGTH), `CONTENT_LENGTH without a body: ${e.CONTENT_LENGTH}`);
    assert.ok([undefined, ''].includes(e.CONTENT_TYPE), `CONTENT_TYPE without a body: ${e.CONTENT_TYPE}`);
    for (const [k, v] of Object.entries(e)) assert.equal(typeof v, 'string', `${k} is a str`);
    assert.deepEqual(echo.wsgi['wsgi.url_scheme'], { type: 'str', value: 'http' });
    assert.equal(echo.body_len, 0);
  });

  await t.test('POST: a form body reaches the app with its CONTENT_TYPE and CONTENT_LENGTH', async () => {
    const body = 'name=nuwsgi&text=hello+world%21';
    const r = await httpRequest(s.url('echo', '/form'), {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length }, body,
    });
    assert.equal(r.status, 200, r.body.toString('latin1'));
    const echo = json<Echo>(r.body);
    assert.equal(echo.method, 'POST');
    assert.equal(echo.body, body);
    assert.equal(echo.cgi.CONTENT_TYPE, 'application/x-www-form-urlencoded');
    assert.equal(echo.cgi.CONTENT_LENGTH, String(body.length));
  });

  await t.test('a 100 MiB upload reaches the app intact (client_max_body_size 200m)', async () => {
    const body = Buffer.alloc(100 * MiB);
    const block = randomBytes(MiB);
    for (let i = 0; i < 100; i++) block.copy(body, i * MiB);
    body.writeUInt32BE(0xdeadbeef, 77 * MiB + 3); // so that the blocks are not all alike
    const r = await httpRequest(s.url('upload', '/?mode=read'), {
      method: 'POST', headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }, body,
      timeoutMs: 40_000,
    });
    assert.equal(r.status, 200, r.body.toString('latin1').slice(0, 2000));
    const got = json<{ bytes: number; sha256: string; content_length: string }>(r.body);
    assert.equal(got.bytes, body.length);
    assert.equal(got.sha256, sha256(body));
    assert.equal(got.content_length, String(body.length));
  });

  await t.test('a chunked upload is de-chunked by nginx: the app reads it with a CONTENT_LENGTH', async () => {
    const pieces = Array.from({ length: 20 }, (_, i) => randomBytes(50_000 + i));
    const whole = Buffer.concat(pieces);
    // node:http sends a body given piece by piece with Transfer-Encoding: chunked.
    const r = await httpRequest(s.url('echo', '/chunked'), { method: 'POST', body: pieces });
    assert.equal(r.status, 200, r.body.toString('latin1').slice(0, 2000));
    const echo = json<Echo>(r.body);
    assert.equal(echo.body_len, whole.length);
    assert.equal(echo.body_sha256, sha256(whole));
    assert.equal(echo.cgi.CONTENT_LENGTH, String(whole.length));
  });

  await t.test('a body the app does not read: the response still gets through, every time', async () => {
    // uWSGI closes the socket with the body unread, and nginx then sometimes gets a reset and
    // answers 502; nuwsgi's master owns the connection and must not let that happen.
    const body = Buffer.alloc(1 * MiB, 'u');
    for (let i = 0; i < 5; i++) {
      const r = await httpRequest(s.url('upload', '/?mode=none'), {
        method: 'POST', headers: { 'Content-Length': body.length }, body,
      });
      assert.equal(r.status, 200, `attempt ${i + 1}: ${r.body.toString('latin1').slice(0, 500)}`);
      assert.equal(json<{ bytes: number }>(r.body).bytes, 0);
    }
  });

  await t.test('16 KiB of request headers (large_client_header_buffers 4 32k, --buffer-size 32768)', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 16; i++) headers[`X-Large-${String(i).padStart(2, '0')}`] = String.fromCharCode(97 + i).repeat(1000);
    const r = await httpRequest(s.url('echo', '/large-head'), { headers });
    assert.equal(r.status, 200, r.body.toString('latin1').slice(0, 2000));
    const e = json<Echo>(r.body).cgi;
    for (const [name, value] of Object.entries(headers)) {
      const key = `HTTP_${name.toUpperCase().replace(/-/g, '_')}`;
      assert.equal(e[key], value, `${key} arrived whole`);
    }
  });

  await t.test('a head over the default --buffer-size (4096) is answered 431, and the log says what to raise', async () => {
    // uWSGI drops such a request without an answer and nginx says 502; nuwsgi answers 431, which
    // nginx passes on (docs/compat.md).
    const headers: Record<string, string> = {};
    for (let i = 0; i < 8; i++) headers[`X-Large-${i}`] = 'x'.repeat(1000);
    const r = await httpRequest(s.url('defaultBuffer', '/too-large'), { headers });
    assert.equal(r.status, 431, r.body.toString('latin1'));
    await s.backends.defaultBuffer.server.waitForOutput(/--buffer-size/);
    const small = await httpRequest(s.url('defaultBuffer', '/small'));
    assert.equal(small.status, 200, 'the next request is served');
  });

  await t.test('a streamed response is passed on as the app yields it', async () => {
    // /handshake yields 'first;' and then waits for the flag file, which is only created once
    // 'first;' has reached the client: it would time out if anything on the way held it back.
    const flag = path.join(s.dir, `flag-${transport}`);
    let received = '';
    await httpRequest(s.url('streaming', `/handshake?flag=${encodeURIComponent(flag)}`), {
      onData: (chunk) => {
        received += chunk.toString('latin1');
        if (received.startsWith('first;') && !fs.existsSync(flag)) fs.writeFileSync(flag, '');
      },
    });
    assert.equal(received, 'first;second');

    const chunks = await httpRequest(s.url('streaming', '/chunks?n=4&size=3'));
    assert.equal(chunks.status, 200);
    assert.equal(chunks.body.toString('latin1'), 'aaabbbcccddd');

    const total = 5 * MiB + 123;
    const download = await httpRequest(s.url('streaming', `/download?bytes=${total}`));
    assert.equal(download.status, 200);
    assert.equal(download.body.length, total);
    assert.equal(sha256(download.body), downloadSha256(total));
  });

  await t.test('204 and 304 come back without a body', async () => {
    const port = s.backends.responses.port;
    const [noContent, ...rest1] = await rawResponses(port, 'GET /no_content HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(rest1.length, 0, 'one response');
    assert.equal(noContent!.statusCode, 204);
    assert.equal(noContent!.body.length, 0);
    assert.equal(header(noContent!, 'transfer-encoding'), undefined);

    const [notModified, ...rest2] = await rawResponses(port, 'GET /not_modified HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(rest2.length, 0, 'one response');
    assert.equal(notModified!.statusCode, 304);
    assert.equal(notModified!.body.length, 0);
    assert.equal(header(notModified!, 'etag'), '"x"');
  });

  await t.test('HEAD: the headers of the GET and no body', async () => {
    const responses = await rawResponses(s.backends.echo.port, 'HEAD /head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', [true]);
    assert.equal(responses.length, 1, 'one response and not a byte more');
    const r = responses[0]!;
    assert.equal(r.statusCode, 200);
    assert.equal(header(r, 'content-type'), 'application/json');
    assert.ok(Number(header(r, 'content-length')) > 0, `the app's Content-Length: ${header(r, 'content-length')}`);
  });

  await t.test('nginx logged no upstream errors, nuwsgi no tracebacks', () => {
    const errors = s.nginx.errorLog().split('\n').filter((l) => NGINX_ERRORS.test(l));
    assert.deepEqual(errors, []);
    for (const [name, b] of Object.entries(s.backends)) {
      assert.doesNotMatch(b.server.output(), /Traceback/, `${name}'s log:\n${b.server.output()}`);
    }
  });

  if (transport === 'unix') {
    await t.test('with --vacuum the socket file is removed when nuwsgi stops', async () => {
      const { socket, server } = s.backends.echo;
      await stopServer(server);
      assert.equal(fs.existsSync(socket), false, `${socket} is still there after nuwsgi exited`);
    });
  }
}

test('nginx uwsgi_pass to nuwsgi over a unix socket', { timeout: 60_000 }, (t) => passTests(t, 'unix'));

test('nginx uwsgi_pass to nuwsgi over a TCP socket', { timeout: 60_000 }, (t) => passTests(t, 'tcp'));
