// The rules a parsed HTTP/1.x head must pass (src/listeners/http-vet.ts), in process: each refusal
// with its status and rule, the heads that pass, and the trailer fields that are refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANSWERS } from '../src/listeners/answers.ts';
import type { HttpHead } from '../src/listeners/http-request.ts';
import { vetHttpHead, vetTrailers } from '../src/listeners/http-vet.ts';

function head(fields: Partial<HttpHead> = {}): HttpHead {
  return {
    method: 'GET', url: '/', versionMajor: 1, versionMinor: 1, rawHeaders: ['Host', 'example.test'],
    peerAddress: '192.0.2.10', peerPort: 40000, expectContinue: false, trailers: () => [], ...fields,
  };
}

/** [status, rule] of the refusal of `fields`, or undefined when the head passes. */
function verdict(fields: Partial<HttpHead>, maxHeaders = 100): [number, string] | undefined {
  const refused = vetHttpHead(head(fields), maxHeaders);
  return refused === undefined ? undefined : [refused.answer.status, refused.rule];
}

describe('the vetting of an HTTP head', () => {
  const refused: Array<[string, Partial<HttpHead>, [number, string]]> = [
    ['HTTP/2.0 on the request line', { versionMajor: 2, versionMinor: 0 }, [505, 'version']],
    ['HTTP/1.2', { versionMinor: 2 }, [505, 'version']],
    ['HTTP/0.9', { versionMajor: 0, versionMinor: 9, rawHeaders: [] }, [505, 'version']],
    ['two Host fields', { rawHeaders: ['Host', 'a', 'Host', 'evil.example'] }, [400, 'duplicate Host']],
    ['two Content-Length fields', { rawHeaders: ['Host', 'a', 'Content-Length', '1', 'content-length', '1'] }, [400, 'duplicate Content-Length']],
    ['two Content-Type fields', { rawHeaders: ['Host', 'a', 'Content-Type', 'text/plain', 'Content-Type', 'text/html'] }, [400, 'duplicate Content-Type']],
    ['HTTP/1.1 without Host', { rawHeaders: [] }, [400, 'missing Host']],
    ['Transfer-Encoding on HTTP/1.0', { versionMinor: 0, rawHeaders: ['Transfer-Encoding', 'chunked'] }, [400, 'HTTP/1.0 transfer coding']],
    ['a coding before chunked', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'] }, [400, 'transfer coding']],
    ['chunked then identity', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked, identity'] }, [400, 'transfer coding']],
    ['two Transfer-Encoding fields', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'] }, [400, 'transfer coding']],
    ['GET *', { url: '*' }, [400, 'asterisk target']],
    ['an absolute-form target for another host', { url: 'http://evil.example/x' }, [400, 'absolute target']],
    ['an absolute-form target for another port', { url: 'http://example.test:8080/x' }, [400, 'absolute target']],
    ['a target that is neither a path nor a URL', { url: 'ftp:x' }, [400, 'target']],
  ];
  for (const [name, fields, expected] of refused) {
    it(`refuses ${name}: ${expected[0]}`, () => assert.deepEqual(verdict(fields), expected));
  }

  it('refuses more header fields than http-max-headers with 431, from the table', () => {
    const rawHeaders = ['Host', 'a'];
    for (let i = 0; i < 100; i++) rawHeaders.push(`X-${i}`, 'v');
    assert.deepEqual(verdict({ rawHeaders }), [431, 'header count']);
    assert.equal(verdict({ rawHeaders }, 101), undefined);
    assert.equal(vetHttpHead(head({ rawHeaders }), 100)?.answer, ANSWERS.tooManyHeaders);
  });

  const passed: Array<[string, Partial<HttpHead>]> = [
    ['a plain GET', {}],
    ['HTTP/1.0 without Host', { versionMinor: 0, rawHeaders: [] }],
    ['a chunked POST', { method: 'POST', rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'Chunked'] }],
    ['OPTIONS *', { method: 'OPTIONS', url: '*' }],
    ['an absolute-form target for the Host itself', { url: 'http://Example.TEST/x' }],
    ['an absolute-form target with the Host\'s port', { url: 'https://a:8443/x', rawHeaders: ['Host', 'a:8443'] }],
    ['an absolute-form target with the default port the Host leaves out', { url: 'http://a:80/x', rawHeaders: ['Host', 'a'] }],
    ['a Host with the default port an https target leaves out', { url: 'https://a/x', rawHeaders: ['Host', 'a:443'] }],
    ['one of each field', { rawHeaders: ['Host', 'a', 'Content-Length', '3', 'Content-Type', 'text/plain'] }],
  ];
  for (const [name, fields] of passed) {
    it(`lets ${name} through`, () => assert.equal(verdict(fields), undefined));
  }
});

describe('the vetting of a chunked body\'s trailer', () => {
  for (const field of ['Host', 'Content-Length', 'Transfer-Encoding', 'content-type', 'Authorization', 'Cookie']) {
    it(`refuses ${field} in it: 400`, () => {
      const refused = vetTrailers([field, 'x']);
      assert.deepEqual(refused && [refused.answer.status, refused.rule], [400, 'trailer field']);
    });
  }
  it('lets other fields through (they never reach the environ)', () => {
    assert.equal(vetTrailers(['X-Checksum', 'abc', 'Expires', '0']), undefined);
    assert.equal(vetTrailers([]), undefined);
  });
});
