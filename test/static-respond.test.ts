// The HTTP semantics of a static file (router/static/respond.ts), in-process: conditional requests,
// ranges, HEAD, expiry and precompression headers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { respondWithFile, type FileMeta, type FileResponse } from '../src/router/static/respond.ts';

const MTIME = Date.UTC(2026, 0, 15, 12, 0, 0);
const FILE: FileMeta = {
  size: 1000, mtimeMs: MTIME, etag: 'W/"3e8-19bc1a2e000"', lastModified: new Date(MTIME).toUTCString(),
  contentType: 'text/css; charset=utf-8', encoding: null, varies: false, expires: null,
};
const NOW = MTIME + 3600_000;

function respond(headers: Record<string, string> = {}, method = 'GET', file: FileMeta = FILE): FileResponse {
  return respondWithFile(method, new Map(Object.entries(headers)), file, NOW);
}

function header(r: FileResponse, name: string): string | undefined {
  for (let i = 0; i < r.headers.length; i += 2) if (r.headers[i] === name) return r.headers[i + 1];
  return undefined;
}

describe('static responses', () => {
  it('sends the whole file with its validators', () => {
    const r = respond();
    assert.deepEqual([r.status, r.start, r.length], [200, 0, 1000]);
    assert.equal(header(r, 'Content-Length'), '1000');
    assert.equal(header(r, 'ETag'), FILE.etag);
    assert.equal(header(r, 'Last-Modified'), 'Thu, 15 Jan 2026 12:00:00 GMT');
    assert.equal(header(r, 'Accept-Ranges'), 'bytes');
    assert.equal(header(r, 'Content-Type'), 'text/css; charset=utf-8');
  });

  it('answers HEAD with the length and no body', () => {
    const r = respond({}, 'HEAD');
    assert.deepEqual([r.status, r.length, header(r, 'Content-Length')], [200, 0, '1000']);
  });

  describe('conditional requests', () => {
    const cases: Array<[string, Record<string, string>, number]> = [
      ['If-None-Match with the tag', { HTTP_IF_NONE_MATCH: FILE.etag }, 304],
      ['If-None-Match with the tag among others', { HTTP_IF_NONE_MATCH: '"x", ' + FILE.etag }, 304],
      ['If-None-Match with the strong form of the weak tag', { HTTP_IF_NONE_MATCH: FILE.etag.slice(2) }, 304],
      ['If-None-Match: *', { HTTP_IF_NONE_MATCH: '*' }, 304],
      ['If-None-Match with another tag', { HTTP_IF_NONE_MATCH: '"other"' }, 200],
      ['If-Modified-Since the modification', { HTTP_IF_MODIFIED_SINCE: FILE.lastModified }, 304],
      ['If-Modified-Since later', { HTTP_IF_MODIFIED_SINCE: new Date(NOW).toUTCString() }, 304],
      ['If-Modified-Since earlier', { HTTP_IF_MODIFIED_SINCE: new Date(MTIME - 1000).toUTCString() }, 200],
      ['If-None-Match wins over If-Modified-Since', { HTTP_IF_NONE_MATCH: '"other"', HTTP_IF_MODIFIED_SINCE: FILE.lastModified }, 200],
      ['Cache-Control: no-cache', { HTTP_IF_NONE_MATCH: FILE.etag, HTTP_CACHE_CONTROL: 'no-cache' }, 200],
      ['If-Match with the tag', { HTTP_IF_MATCH: FILE.etag }, 200],
      ['If-Match: *', { HTTP_IF_MATCH: '*' }, 200],
      ['If-Match with another tag', { HTTP_IF_MATCH: '"other"' }, 412],
      ['If-Unmodified-Since earlier', { HTTP_IF_UNMODIFIED_SINCE: new Date(MTIME - 1000).toUTCString() }, 412],
      ['If-Unmodified-Since the modification', { HTTP_IF_UNMODIFIED_SINCE: FILE.lastModified }, 200],
    ];
    for (const [name, headers, status] of cases) {
      it(`${name}: ${status}`, () => {
        const r = respond(headers);
        assert.equal(r.status, status);
        if (status !== 200) assert.equal(r.length, 0);
      });
    }

    it('a 304 has the validators and no Content-Length', () => {
      const r = respond({ HTTP_IF_NONE_MATCH: FILE.etag });
      assert.equal(header(r, 'ETag'), FILE.etag);
      assert.equal(header(r, 'Content-Length'), undefined);
    });
  });

  describe('ranges', () => {
    const cases: Array<[string, Record<string, string>, number, number, number, string | undefined]> = [
      ['bytes=0-99', { HTTP_RANGE: 'bytes=0-99' }, 206, 0, 100, 'bytes 0-99/1000'],
      ['bytes=900-', { HTTP_RANGE: 'bytes=900-' }, 206, 900, 100, 'bytes 900-999/1000'],
      ['bytes=-10 (the last ten)', { HTTP_RANGE: 'bytes=-10' }, 206, 990, 10, 'bytes 990-999/1000'],
      ['bytes=990-5000 (past the end)', { HTTP_RANGE: 'bytes=990-5000' }, 206, 990, 10, 'bytes 990-999/1000'],
      ['bytes=0-1,1-2 (combined)', { HTTP_RANGE: 'bytes=0-1,1-2' }, 206, 0, 3, 'bytes 0-2/1000'],
      ['bytes=0-1,5-6 (several: the whole file)', { HTTP_RANGE: 'bytes=0-1,5-6' }, 200, 0, 1000, undefined],
      ['malformed (no =): the whole file', { HTTP_RANGE: 'bytes' }, 200, 0, 1000, undefined],
      ['another unit: the whole file', { HTTP_RANGE: 'items=0-1' }, 200, 0, 1000, undefined],
      ['If-Range with the tag', { HTTP_RANGE: 'bytes=0-9', HTTP_IF_RANGE: FILE.etag }, 206, 0, 10, 'bytes 0-9/1000'],
      ['If-Range with another tag: the whole file', { HTTP_RANGE: 'bytes=0-9', HTTP_IF_RANGE: '"old"' }, 200, 0, 1000, undefined],
      ['If-Range with the date', { HTTP_RANGE: 'bytes=0-9', HTTP_IF_RANGE: FILE.lastModified }, 206, 0, 10, 'bytes 0-9/1000'],
      ['If-Range with an older date: the whole file', { HTTP_RANGE: 'bytes=0-9', HTTP_IF_RANGE: new Date(MTIME - 1000).toUTCString() }, 200, 0, 1000, undefined],
    ];
    for (const [name, headers, status, start, length, contentRange] of cases) {
      it(`${name}: ${status}`, () => {
        const r = respond(headers);
        assert.deepEqual([r.status, r.start, r.length], [status, start, length]);
        assert.equal(header(r, 'Content-Range'), contentRange);
        assert.equal(header(r, 'Content-Length'), String(length));
      });
    }

    it('answers 416 with the size when no byte satisfies the range', () => {
      const r = respond({ HTTP_RANGE: 'bytes=1000-' });
      assert.deepEqual([r.status, r.length, header(r, 'Content-Range')], [416, 0, 'bytes */1000']);
    });
  });

  it('adds Expires and Cache-Control from an expiry rule, from now or from the modification time', () => {
    const fromNow = respond({}, 'GET', { ...FILE, expires: { seconds: 60, fromMtime: false } });
    assert.equal(header(fromNow, 'Expires'), new Date(NOW + 60_000).toUTCString());
    assert.equal(header(fromNow, 'Cache-Control'), 'max-age=60');
    const fromMtime = respond({}, 'GET', { ...FILE, expires: { seconds: 7200, fromMtime: true } });
    assert.equal(header(fromMtime, 'Expires'), new Date(MTIME + 7200_000).toUTCString());
    assert.equal(header(fromMtime, 'Cache-Control'), 'max-age=3600');
  });

  it('says which coding a precompressed sibling has, and that the response varies on it', () => {
    const r = respond({}, 'GET', { ...FILE, encoding: 'br', varies: true });
    assert.equal(header(r, 'Content-Encoding'), 'br');
    assert.equal(header(r, 'Vary'), 'Accept-Encoding');
    assert.equal(header(respond({}, 'GET', { ...FILE, varies: true }), 'Content-Encoding'), undefined);
  });
});
