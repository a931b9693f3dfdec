// wsgi.input (PEP 3333 "Input and Error Streams"): read(n), readline(), readline(n), readlines(),
// readlines(hint), iteration and read() on bodies of several sizes, never past the body.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { RawClient, httpRequest, json, sha256, stopServer } from './helpers/wire.ts';

interface UploadResult {
  bytes: number;
  sha256: string;
  reads: number;
  max_piece: number;
  lines: number;
  over: number;
  after_eof: number;
  content_length: string | null;
  mode: string;
}

/** `size` bytes of text lines of varied lengths (1 to 200 bytes); the last line may lack its newline. */
function makeBody(size: number): Buffer {
  const out = Buffer.alloc(size);
  let lineLen = 0;
  let line = 0;
  let target = 1;
  for (let i = 0; i < size; i++) {
    if (lineLen === target - 1) {
      out[i] = 0x0a;
      line++;
      lineLen = 0;
      target = 1 + ((line * 37) % 200);
    } else {
      out[i] = 0x61 + ((i + line) % 26);
      lineLen++;
    }
  }
  return out;
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

const SIZES = [0, 1, 1000, 65537, 5 * 1024 * 1024];

describe('wsgi.input (upload app)', () => {
  let server: RunningServer;
  const bodies = new Map<number, Buffer>();
  before(async () => {
    for (const size of SIZES) bodies.set(size, makeBody(size));
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'upload.py')]);
  });
  after(() => stopServer(server));

  async function upload(query: string, body: Buffer, headers: Record<string, string | number> = {}): Promise<UploadResult> {
    const r = await httpRequest(`${server.url}/?${query}`, {
      method: 'POST', body, headers: { 'Content-Type': 'text/plain', 'Content-Length': body.length, ...headers },
    });
    assert.equal(r.status, 200, `${query} on ${body.length} bytes: ${r.status} ${r.body.toString('latin1').slice(0, 2000)}`);
    return json<UploadResult>(r.body);
  }

  function check(res: UploadResult, body: Buffer, what: string, opts: { lines?: boolean; limit?: number } = {}) {
    assert.equal(res.bytes, body.length, `${what}: byte count`);
    assert.equal(res.sha256, sha256(body), `${what}: sha256`);
    assert.equal(res.after_eof, 0, `${what}: read(100) and readline() after the end return b''`);
    assert.equal(res.over, 0, `${what}: no piece longer than the size asked for`);
    if (opts.limit !== undefined) assert.ok(res.max_piece <= opts.limit, `${what}: pieces of at most ${opts.limit} bytes, got ${res.max_piece}`);
    if (opts.lines) assert.equal(res.lines, countNewlines(body), `${what}: one piece per line`);
    assert.equal(res.content_length, String(body.length), `${what}: CONTENT_LENGTH`);
  }

  for (const size of SIZES) {
    it(`reads a ${size}-byte body in every way`, async () => {
      const body = bodies.get(size)!;
      const readSizes = size <= 1000 ? [1, 7, 8192] : [8192, 1 << 20];
      for (const n of readSizes) {
        check(await upload(`mode=read&size=${n}`, body), body, `read(${n})`, { limit: n });
      }
      check(await upload('mode=readline', body), body, 'readline()', { lines: true });
      check(await upload('mode=readline&size=100', body), body, 'readline(100)', { limit: 100 });
      check(await upload('mode=readlines', body), body, 'readlines()', { lines: true });
      check(await upload('mode=readlines&size=1000', body), body, 'readlines(1000)', { lines: true });
      check(await upload('mode=iter', body), body, 'for line in wsgi.input', { lines: true });
      check(await upload('mode=iter_raw', body), body, "iteration of the server's own object", { lines: true });
      check(await upload('mode=readall', body), body, 'read()');
      check(await upload('mode=read_minus1', body), body, 'read(-1)');
    });
  }

  it('returns a 5 MiB line without a newline whole from readline()', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'q');
    const res = await upload('mode=readline', body);
    check(res, body, 'readline() of one long line');
    assert.equal(res.reads, 1);
    assert.equal(res.max_piece, body.length);
  });

  it('ends wsgi.input at a chunked body\'s end (readline)', async () => {
    const body = bodies.get(65537)!;
    const pieces = [body.subarray(0, 1000), body.subarray(1000, 30000), body.subarray(30000)];
    const r = await httpRequest(`${server.url}/?mode=readline`, { method: 'POST', body: pieces });
    assert.equal(r.status, 200);
    const res = json<UploadResult>(r.body);
    assert.equal(res.bytes, body.length);
    assert.equal(res.sha256, sha256(body));
    assert.equal(res.lines, countNewlines(body));
    assert.equal(res.after_eof, 0);
  });

  it('never reads past Content-Length into a pipelined request', async () => {
    const c = await RawClient.connect(server.port);
    try {
      const body = 'line 1\nline 2\n';
      const next = 'GET /?mode=read HTTP/1.1\r\nHost: x\r\n\r\n';
      c.write(`POST /?mode=readall HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}${next}`);
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      const u1 = json<UploadResult>(r1.body);
      const u2 = json<UploadResult>(r2.body);
      assert.equal(u1.bytes, body.length);
      assert.equal(u1.sha256, sha256(body));
      assert.equal(u1.after_eof, 0);
      assert.equal(u2.bytes, 0, 'the second request has no body');
    } finally {
      c.close();
    }
  });

  it('reads an empty body at once when there is no body at all (GET)', async () => {
    const r = await httpRequest(`${server.url}/?mode=read&size=10`);
    const res = json<UploadResult>(r.body);
    assert.equal(res.bytes, 0);
    assert.equal(res.after_eof, 0);
  });

  it('frees the worker when the client disappears in the middle of the body', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write(`POST /?mode=read HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
      c.write(Buffer.alloc(300 * 1024, 'h'));
      await new Promise<void>((resolve) => c.socket.write('', () => resolve()));
    } finally {
      c.close();
    }
    // one worker: this is only answered once the abandoned request has let go of it
    const r = await httpRequest(`${server.url}/?mode=read`, { method: 'POST', body: 'after', timeoutMs: 10_000 });
    assert.equal(r.status, 200);
    assert.equal(json<UploadResult>(r.body).bytes, 5);
  });

  it('keeps the connection in step when the app leaves a 1 MiB body unread', async () => {
    const c = await RawClient.connect(server.port);
    try {
      const body = Buffer.alloc(1024 * 1024, 'u');
      c.write(Buffer.concat([
        Buffer.from(`POST /?mode=none HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`),
        body,
        Buffer.from('POST /?mode=read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde'),
      ]));
      const r1 = await c.readResponse({ timeoutMs: 15_000 });
      assert.equal(r1.statusCode, 200);
      assert.equal(json<UploadResult>(r1.body).bytes, 0);
      // The server may either discard the unread body and answer the next request, or close the
      // connection; it must never parse body bytes as a request.
      const second = await c.readResponse({ timeoutMs: 15_000 }).catch((err: Error) => err);
      if (second instanceof Error) {
        assert.equal(c.ended, true, `neither a second response nor a closed connection: ${second.message}`);
        assert.equal(c.pending.length, 0);
      } else {
        assert.equal(second.statusCode, 200);
        assert.equal(json<UploadResult>(second.body).bytes, 5);
      }
    } finally {
      c.close();
    }
  });
});
