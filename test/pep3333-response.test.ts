// Responses (PEP 3333 "The start_response() Callable", "Buffering and Streaming", "Optional
// Platform-Specific File Handling"): iterables of every shape, wsgi.file_wrapper, write(),
// repeated headers, exc_info, and a body that does not match its Content-Length.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import {
  RawClient, byteRangePattern, header, headerAll, httpRequest, parseResponse, sha256, stopServer, tempDir,
  waitFor, type RawResponse,
} from './helpers/wire.ts';

function app(name: string) {
  return path.join(fixtureApps, name);
}

async function start(name: string, extra: string[] = []) {
  return startServer(['--http', '127.0.0.1:0', '--wsgi-file', app(name), ...extra]);
}

/** GETs `target` on a fresh connection, then checks the connection still serves a second request. */
async function rawGet(port: number, target: string, opts: { keepAliveCheck?: string } = {}): Promise<RawResponse> {
  const c = await RawClient.connect(port);
  try {
    c.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const r = await c.readResponse({ timeoutMs: 15_000 });
    if (opts.keepAliveCheck) {
      c.write(`GET ${opts.keepAliveCheck} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const next = await c.readResponse();
      assert.equal(next.statusCode, 200, `the connection is still in step after ${target}:\n${next.headText}`);
    }
    return r;
  } finally {
    c.close();
  }
}

describe('iterables (responses app)', () => {
  let server: RunningServer;
  before(async () => { server = await start('responses.py'); });
  after(() => stopServer(server));

  const cases: Array<[string, string]> = [
    ['/list', 'hello world'],
    ['/gen', 'abc'],
    ['/empty_list', ''],
    ['/empty_gen', ''],
    ['/only_empty', ''],
    ['/iterable', 'iterable'],
  ];
  for (const [target, expected] of cases) {
    it(`sends ${target} whole (${JSON.stringify(expected)}) and stays in step`, async () => {
      const r = await rawGet(server.port, target, { keepAliveCheck: '/list' });
      assert.equal(r.statusCode, 200);
      assert.equal(r.complete, true);
      assert.equal(r.body.toString(), expected);
    });
  }

  it('sends one 3 MiB bytes object intact', async () => {
    const r = await httpRequest(`${server.url}/large_single`);
    assert.equal(r.body.length, 3 * 1024 * 1024);
    assert.equal(sha256(r.body), sha256(byteRangePattern(3 * 1024 * 1024)));
  });

  it('sends a latin-1 header value as latin-1 bytes', async () => {
    const r = await rawGet(server.port, '/latin1');
    assert.equal(header(r, 'x-latin1'), 'caf\u00e9', `head was ${JSON.stringify(r.headText)}`);
  });

  it('keeps a custom status code and reason phrase', async () => {
    const r = await rawGet(server.port, '/status');
    assert.equal(r.statusCode, 299);
    assert.equal(r.reason, 'Custom Reason Phrase');
    assert.equal(r.body.toString(), 'custom');
  });

  for (const [target, status] of [['/no_content', 204], ['/not_modified', 304]] as const) {
    it(`sends ${status} without a body and stays in step`, async () => {
      const r = await rawGet(server.port, target, { keepAliveCheck: '/gen' });
      assert.equal(r.statusCode, status);
      assert.equal(header(r, 'transfer-encoding'), undefined, `no Transfer-Encoding on a ${status}`);
    });
  }
});

describe('wsgi.file_wrapper (filewrapper app)', () => {
  let server: RunningServer;
  let dir: string;
  let bigFile: string;
  let bigData: Buffer;
  const smallFile = app('filewrapper.py');
  before(async () => {
    dir = tempDir();
    bigFile = path.join(dir, 'big.bin');
    bigData = randomBytes(3 * 1024 * 1024 + 123);
    fs.writeFileSync(bigFile, bigData);
    server = await start('filewrapper.py');
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('offers wsgi.file_wrapper', async () => {
    const r = await httpRequest(`${server.url}/missing`);
    assert.equal(r.body.toString(), 'yes');
  });

  it('sends a real file, with and without Content-Length, with small blocks', async () => {
    const expected = fs.readFileSync(smallFile);
    for (const q of ['', '&cl=1', '&blksize=7', '&cl=1&blksize=7']) {
      const r = await rawGet(server.port, `/file?path=${encodeURIComponent(smallFile)}${q}`, { keepAliveCheck: '/missing' });
      assert.equal(r.statusCode, 200);
      assert.equal(r.body.toString('latin1'), expected.toString('latin1'), `file body with ${q || 'no options'}`);
      if (q.includes('cl=1')) assert.equal(header(r, 'content-length'), String(expected.length));
    }
  });

  it('starts a real file at its current position', async () => {
    const expected = fs.readFileSync(smallFile).subarray(100);
    for (const q of ['', '&cl=1']) {
      const r = await rawGet(server.port, `/file?path=${encodeURIComponent(smallFile)}&offset=100${q}`);
      assert.equal(r.body.toString('latin1'), expected.toString('latin1'), `file from offset 100 ${q}`);
    }
  });

  it('sends a 3 MiB real file intact, and closes it', async () => {
    const track = path.join(dir, 'track.txt');
    for (const q of ['', '&cl=1']) {
      fs.rmSync(track, { force: true });
      const r = await httpRequest(`${server.url}/file?path=${encodeURIComponent(bigFile)}&track=${encodeURIComponent(track)}${q}`);
      assert.equal(r.body.length, bigData.length);
      assert.equal(sha256(r.body), sha256(bigData));
      await waitFor(() => fs.existsSync(track) && fs.readFileSync(track, 'utf8').includes('file closed'), 5_000,
        'the file wrapper to close the file');
    }
  });

  it('sends an io.BytesIO (no fileno)', async () => {
    for (const q of ['', '&cl=1']) {
      const r = await rawGet(server.port, `/bytesio?size=100000${q}`, { keepAliveCheck: '/missing' });
      assert.equal(r.body.length, 100000);
      assert.ok(r.body.equals(byteRangePattern(100000)), `BytesIO body ${q}`);
    }
  });
});

describe('the write() callable (write_callable app)', () => {
  let server: RunningServer;
  before(async () => { server = await start('write_callable.py'); });
  after(() => stopServer(server));

  const cases: Array<[string, string]> = [
    ['/write_only', 'hello world'],
    ['/mixed', 'one,two,three'],
    ['/mixed_gen', 'one,two,three'],
    ['/write_empty', 'x'],
    ['/write_cl', 'hello world'],
  ];
  for (const [target, expected] of cases) {
    it(`sends ${target} as ${JSON.stringify(expected)}`, async () => {
      const r = await rawGet(server.port, target, { keepAliveCheck: '/write_only' });
      assert.equal(r.statusCode, 200);
      assert.equal(r.complete, true);
      assert.equal(r.body.toString(), expected);
      if (target === '/write_cl') assert.equal(header(r, 'content-length'), '11');
    });
  }

  it('sends 4 MiB written in 64 KiB write() calls intact', async () => {
    const total = 4 * 1024 * 1024;
    const r = await httpRequest(`${server.url}/write_large?bytes=${total}`);
    assert.equal(r.body.length, total);
    assert.equal(sha256(r.body), sha256(byteRangePattern(total)));
  });
});

describe('repeated headers (cookies app)', () => {
  let server: RunningServer;
  before(async () => { server = await start('cookies.py'); });
  after(() => stopServer(server));

  it('sends every Set-Cookie as its own header line, in order', async () => {
    const r = await rawGet(server.port, '/');
    assert.deepEqual(headerAll(r, 'set-cookie'), ['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Max-Age=60; SameSite=Lax']);
    assert.equal(headerAll(r, 'x-multi').join(', '), 'one, two');
    assert.equal(r.body.toString(), 'cookies');
  });

  it('gives node:http the three cookies', async () => {
    const r = await httpRequest(`${server.url}/`);
    assert.deepEqual(r.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Max-Age=60; SameSite=Lax']);
  });
});

describe('exc_info (errors app)', () => {
  let server: RunningServer;
  before(async () => { server = await start('errors.py'); });
  after(() => stopServer(server));

  it('lets start_response with exc_info replace the headers before anything was sent', async () => {
    const r = await rawGet(server.port, '/exc_info_before', { keepAliveCheck: '/ok' });
    assert.equal(r.statusCode, 500);
    assert.equal(r.body.toString(), 'the app handled it');
    assert.equal(header(r, 'x-handled'), 'yes');
    assert.equal(header(r, 'x-discarded'), undefined, 'the first headers are discarded');
  });

  it('re-raises exc_info once the head was sent: the response is cut and the connection closed', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /exc_info_after HTTP/1.1\r\nHost: x\r\n\r\n');
      const data = await c.readToEnd(10_000);
      const parsed = parseResponse(data, { eof: true });
      assert.ok(parsed, 'the head was sent');
      const r = parsed.response;
      assert.equal(r.statusCode, 200);
      assert.equal(r.complete, false, 'the client can tell the response is incomplete');
      assert.ok(r.body.toString().startsWith('partial;'));
      assert.equal(data.includes('must never be sent'), false, 'start_response(exc_info) re-raised');
    } finally {
      c.close();
    }
  });
});

describe('Content-Length mismatch (content_length app)', () => {
  let server: RunningServer;
  before(async () => { server = await start('content_length.py'); });
  after(() => stopServer(server));

  it('sends a body that matches its Content-Length and stays in step', async () => {
    const r = await rawGet(server.port, '/?declared=10', { keepAliveCheck: '/?declared=3' });
    assert.equal(r.body.toString(), 'x'.repeat(10));
  });

  for (const split of ['', '&split=1']) {
    it(`closes the connection when the app sends fewer bytes than declared${split ? ' (one-byte chunks)' : ''}`, async () => {
      const c = await RawClient.connect(server.port);
      try {
        c.write(`GET /?declared=100&actual=50${split} HTTP/1.1\r\nHost: x\r\n\r\n`);
        const data = await c.readToEnd(10_000); // no hang: the connection must end
        const parsed = parseResponse(data, { eof: true });
        if (parsed) {
          assert.equal(parsed.response.complete, false, 'the client sees a truncated response');
          assert.ok(parsed.response.body.length <= 50);
        }
      } finally {
        c.close();
      }
    });
  }

  it('never sends more bytes than declared', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('GET /?declared=50&actual=100 HTTP/1.1\r\nHost: x\r\n\r\nGET /?declared=3 HTTP/1.1\r\nHost: x\r\n\r\n');
      const first = await c.readResponse().catch((err: Error) => err);
      if (first instanceof Error) {
        // closing without a response is acceptable (the head may be held until the app is done)
        assert.equal(c.ended, true, first.message);
        return;
      }
      assert.ok(first.body.length <= 50);
      // whatever follows is either the next response or nothing at all: never the extra bytes
      const second = await c.readResponse().catch((err: Error) => err);
      if (second instanceof Error) {
        assert.equal(c.ended, true, second.message);
        assert.equal(c.pending.length, 0, `bytes after the declared length: ${JSON.stringify(c.pending.toString('latin1'))}`);
      } else {
        assert.equal(second.statusCode, 200);
        assert.equal(second.body.toString(), 'xxx');
      }
    } finally {
      c.close();
    }
  });
});
