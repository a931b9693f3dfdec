// The pure builder from a parsed HTTP/1.x head to the request the router gets: the environ block
// (its variables and their order), PATH_INFO decoding, what is refused, the headers' CGI names, the
// body's declared length, Expect: 100-continue, and trusted-proxy's X-Forwarded-For/-Proto.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANSWERS } from '../src/listeners/answers.ts';
import { buildHttpRequest, isRefusal, type HttpHead, type HttpListenerContext } from '../src/listeners/http-request.ts';
import { AddressList } from '../src/config/address-list.ts';
import type { ParsedRequest, Refusal } from '../src/listeners/request.ts';

/** A GET / over HTTP/1.0 (which needs no Host) from 192.0.2.10:40000, unless `fields` says otherwise. */
function head(fields: Partial<HttpHead> = {}): HttpHead {
  return {
    method: 'GET', url: '/', versionMajor: 1, versionMinor: 0, rawHeaders: [],
    peerAddress: '192.0.2.10', peerPort: 40000, expectContinue: false, trailers: () => [], ...fields,
  };
}

/** A TCP listener on example.test:8080 trusting nobody, unless `fields` says otherwise. */
function listener(fields: Partial<HttpListenerContext> = {}): HttpListenerContext {
  return { serverName: 'example.test', serverPort: '8080', scheme: 'http', trustedProxies: new AddressList([]), unix: false, maxHeaders: 100, ...fields };
}

function build(fields: Partial<HttpHead> = {}, context: Partial<HttpListenerContext> = {}): ParsedRequest {
  const built = buildHttpRequest(head(fields), listener(context));
  assert.ok(!isRefusal(built), `refused: ${isRefusal(built) ? built.why : ''}`);
  return built;
}

/** The environ block as [name, value] pairs, in order. */
function pairs(request: ParsedRequest): Array<[string, string]> {
  const parts = request.environ.split('\0');
  assert.equal(parts.length % 2, 0, 'names and values alternate');
  const result: Array<[string, string]> = [];
  for (let i = 0; i < parts.length; i += 2) result.push([parts[i]!, parts[i + 1]!]);
  return result;
}

function environ(request: ParsedRequest): Map<string, string> {
  return new Map(pairs(request));
}

describe('the environ block', () => {
  it('has the request variables, the headers, then REMOTE_ADDR and wsgi.url_scheme, in that order', () => {
    const request = build({ method: 'POST', url: '/a/b?x=1&y=2', versionMinor: 1, rawHeaders: ['Host', 'example.test', 'Content-Length', '3'] });
    assert.deepEqual(pairs(request), [
      ['REQUEST_METHOD', 'POST'],
      ['REQUEST_URI', '/a/b?x=1&y=2'],
      ['PATH_INFO', '/a/b'],
      ['QUERY_STRING', 'x=1&y=2'],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['SCRIPT_NAME', ''],
      ['SERVER_NAME', 'example.test'],
      ['SERVER_PORT', '8080'],
      ['REMOTE_PORT', '40000'],
      ['HTTP_HOST', 'example.test'],
      ['CONTENT_LENGTH', '3'],
      ['REMOTE_ADDR', '192.0.2.10'],
      ['wsgi.url_scheme', 'http'],
    ]);
  });

  it('matches the request\'s own fields', () => {
    const request = build({ method: 'PUT', url: '/p?q', versionMinor: 1, rawHeaders: ['Host', 'h', 'User-Agent', 'test'] }, { scheme: 'https' });
    assert.deepEqual(
      { method: request.method, uri: request.uri, path: request.path, query: request.query, protocol: request.protocol,
        scheme: request.scheme, remoteAddr: request.remoteAddr, headers: [...request.headers] },
      { method: 'PUT', uri: '/p?q', path: '/p', query: 'q', protocol: 'HTTP/1.1',
        scheme: 'https', remoteAddr: '192.0.2.10', headers: [['HTTP_HOST', 'h'], ['HTTP_USER_AGENT', 'test']] });
    assert.equal(environ(request).get('wsgi.url_scheme'), 'https');
  });

  it('has an empty QUERY_STRING without a query, and keeps the query as sent', () => {
    assert.equal(environ(build({ url: '/plain' })).get('QUERY_STRING'), '');
    assert.equal(environ(build({ url: '/?' })).get('QUERY_STRING'), '');
    assert.equal(environ(build({ url: '/s?a=%20b&c=d?e' })).get('QUERY_STRING'), 'a=%20b&c=d?e');
  });

  it('says HTTP/1.0 for an HTTP/1.0 request', () => {
    const request = build({ versionMajor: 1, versionMinor: 0 });
    assert.equal(request.protocol, 'HTTP/1.0');
    assert.equal(environ(request).get('SERVER_PROTOCOL'), 'HTTP/1.0');
  });

  it('has REMOTE_PORT only when the peer has a port', () => {
    assert.equal(environ(build({ peerPort: 51234 })).get('REMOTE_PORT'), '51234');
    assert.equal(environ(build({ peerAddress: undefined, peerPort: undefined }, { unix: true })).has('REMOTE_PORT'), false);
  });

  it('has an empty REMOTE_ADDR for a peer on a unix socket', () => {
    const request = build({ peerAddress: undefined, peerPort: undefined }, { unix: true, serverPort: '80' });
    assert.equal(request.remoteAddr, '');
    assert.equal(environ(request).get('REMOTE_ADDR'), '');
    assert.equal(environ(request).get('SERVER_PORT'), '80');
  });

  it('gives an IPv4 peer mapped into IPv6 as plain IPv4', () => {
    const request = build({ peerAddress: '::ffff:198.51.100.7' });
    assert.equal(request.remoteAddr, '198.51.100.7');
    assert.equal(environ(request).get('REMOTE_ADDR'), '198.51.100.7');
    assert.equal(build({ peerAddress: '2001:db8::1' }).remoteAddr, '2001:db8::1');
  });
});

describe('PATH_INFO', () => {
  it('is percent-decoded to bytes shown as latin-1', () => {
    const request = build({ url: '/caf%C3%A9/a%20b/%2Fslash?x=%41' });
    assert.equal(request.path, '/caf\xc3\xa9/a b//slash');
    assert.equal(environ(request).get('PATH_INFO'), '/caf\xc3\xa9/a b//slash');
    assert.equal(environ(request).get('REQUEST_URI'), '/caf%C3%A9/a%20b/%2Fslash?x=%41', 'REQUEST_URI stays as sent');
  });

  it('keeps a percent sign that starts no escape', () => {
    assert.equal(build({ url: '/100%/%zz/%4' }).path, '/100%/%zz/%4');
  });

  it('is the path of an absolute-form target', () => {
    const request = build({ url: 'http://example.test:8080/over/there?name=ferret' });
    assert.equal(request.path, '/over/there');
    assert.equal(request.query, 'name=ferret');
    assert.equal(request.uri, 'http://example.test:8080/over/there?name=ferret');
    assert.equal(build({ url: 'http://example.test' }).path, '/');
    assert.equal(build({ url: 'https://example.test?q' }).path, '/');
  });

  it('is empty for OPTIONS * (REQUEST_URI keeps the *)', () => {
    const request = build({ method: 'OPTIONS', url: '*' });
    assert.equal(request.path, '');
    assert.equal(environ(request).get('REQUEST_URI'), '*');
  });
});

describe('what is refused', () => {
  it('a path with an encoded NUL byte: 400', () => {
    const built = buildHttpRequest(head({ url: '/a%00b' }), listener());
    assert.ok(isRefusal(built));
    assert.deepEqual(built, { answer: ANSWERS.badRequest, rule: 'NUL in path', why: 'the path contains an encoded NUL byte' } satisfies Refusal);
  });

  it('not an encoded NUL in the query', () => {
    assert.equal(build({ url: '/a?b=%00' }).query, 'b=%00');
  });
});

describe('the headers', () => {
  it('go by their CGI names, Content-Type and Content-Length without HTTP_', () => {
    const request = build({
      method: 'POST',
      rawHeaders: ['x-request-id', 'abc', 'Content-Type', 'text/plain', 'content-length', '5', 'Accept-Encoding', 'gzip'],
    });
    assert.deepEqual([...request.headers], [
      ['HTTP_X_REQUEST_ID', 'abc'],
      ['CONTENT_TYPE', 'text/plain'],
      ['CONTENT_LENGTH', '5'],
      ['HTTP_ACCEPT_ENCODING', 'gzip'],
    ]);
  });

  it('with an underscore in their name are dropped', () => {
    const request = build({ rawHeaders: ['X_Forwarded_For', '203.0.113.1', 'X-Real', 'yes', 'Content_Length', '99'] });
    assert.deepEqual([...request.headers], [['HTTP_X_REAL', 'yes']]);
    assert.equal(request.environ.includes('203.0.113.1'), false);
  });

  it('that repeat are joined with ", ", in the order they came, where the first one was', () => {
    const request = build({ rawHeaders: ['Accept', 'text/html', 'X-One', '1', 'accept', 'text/plain', 'ACCEPT', '*/*'] });
    assert.deepEqual([...request.headers], [['HTTP_ACCEPT', 'text/html, text/plain, */*'], ['HTTP_X_ONE', '1']]);
  });

  it('Cookie that repeats is joined with "; "', () => {
    const request = build({ rawHeaders: ['Cookie', 'a=1', 'Cookie', 'b=2; c=3'] });
    assert.equal(request.headers.get('HTTP_COOKIE'), 'a=1; b=2; c=3');
    assert.equal(environ(request).get('HTTP_COOKIE'), 'a=1; b=2; c=3');
  });
});

describe('the body', () => {
  it('is declared absent without Content-Length or Transfer-Encoding', () => {
    assert.equal(build().bodyLength, 0);
  });

  it('has the length Content-Length says', () => {
    assert.equal(build({ method: 'POST', rawHeaders: ['Content-Length', '1234'] }).bodyLength, 1234);
    assert.equal(build({ method: 'POST', rawHeaders: ['content-length', '0'] }).bodyLength, 0);
  });

  it('has an unknown length (-1) with Transfer-Encoding: chunked', () => {
    assert.equal(build({ method: 'POST', versionMinor: 1, rawHeaders: ['Host', 'h', 'Transfer-Encoding', 'chunked'] }).bodyLength, -1);
    assert.equal(build({ method: 'POST', versionMinor: 1, rawHeaders: ['Host', 'h', 'transfer-encoding', 'Chunked'] }).bodyLength, -1);
  });

  it('is waited for with 100 Continue only when there is one', () => {
    assert.equal(build({ method: 'POST', rawHeaders: ['Content-Length', '10'], expectContinue: true }).expectContinue, true);
    assert.equal(build({ method: 'POST', versionMinor: 1, rawHeaders: ['Host', 'h', 'Transfer-Encoding', 'chunked'], expectContinue: true }).expectContinue, true);
    assert.equal(build({ expectContinue: true }).expectContinue, false);
    assert.equal(build({ method: 'POST', rawHeaders: ['Content-Length', '0'], expectContinue: true }).expectContinue, false);
    assert.equal(build({ method: 'POST', rawHeaders: ['Content-Length', '10'] }).expectContinue, false);
  });
});

describe('trusted-proxy', () => {
  const forwarded = ['X-Forwarded-For', '203.0.113.9', 'X-Forwarded-Proto', 'https'];

  it('believes X-Forwarded-For and X-Forwarded-Proto from a trusted peer on TCP', () => {
    const request = build({ peerAddress: '10.0.0.5', rawHeaders: forwarded }, { trustedProxies: new AddressList(['10.0.0.0/8']) });
    assert.equal(request.remoteAddr, '203.0.113.9');
    assert.equal(request.scheme, 'https');
    const env = environ(request);
    assert.equal(env.get('REMOTE_ADDR'), '203.0.113.9');
    assert.equal(env.get('wsgi.url_scheme'), 'https');
    assert.equal(env.get('HTTP_X_FORWARDED_FOR'), '203.0.113.9', 'the headers themselves are passed on');
    assert.equal(env.get('REMOTE_PORT'), '40000', 'REMOTE_PORT stays the peer\'s');
  });

  it('matches a trusted peer mapped into IPv6 by its IPv4 address', () => {
    const request = build({ peerAddress: '::ffff:10.0.0.5', rawHeaders: forwarded }, { trustedProxies: new AddressList(['10.0.0.5']) });
    assert.equal(request.remoteAddr, '203.0.113.9');
  });

  it('reads repeated X-Forwarded-For headers as one list', () => {
    const request = build({
      peerAddress: '10.0.0.5',
      rawHeaders: ['X-Forwarded-For', '203.0.113.9', 'X-Forwarded-For', '10.0.0.7'],
    }, { trustedProxies: new AddressList(['10.0.0.0/8']) });
    assert.equal(request.remoteAddr, '203.0.113.9');
  });

  it('believes them from any peer of a unix listener when the list has `unix`', () => {
    const request = build({ peerAddress: undefined, peerPort: undefined, rawHeaders: forwarded },
      { unix: true, trustedProxies: new AddressList(['unix']) });
    assert.equal(request.remoteAddr, '203.0.113.9');
    assert.equal(request.scheme, 'https');
  });

  it('does not believe them on a unix listener when the list lacks `unix`', () => {
    const request = build({ peerAddress: undefined, peerPort: undefined, rawHeaders: forwarded },
      { unix: true, trustedProxies: new AddressList(['10.0.0.0/8', '127.0.0.1']) });
    assert.equal(request.remoteAddr, '');
    assert.equal(request.scheme, 'http');
  });

  it('does not believe them from an untrusted peer', () => {
    const request = build({ peerAddress: '192.0.2.10', rawHeaders: forwarded }, { trustedProxies: new AddressList(['10.0.0.0/8', 'unix']) });
    assert.equal(request.remoteAddr, '192.0.2.10');
    assert.equal(request.scheme, 'http');
    assert.equal(environ(request).get('REMOTE_ADDR'), '192.0.2.10');
    assert.equal(environ(request).get('wsgi.url_scheme'), 'http');
  });

  it('does not believe them when nobody is trusted', () => {
    const request = build({ peerAddress: '10.0.0.5', rawHeaders: forwarded });
    assert.equal(request.remoteAddr, '10.0.0.5');
    assert.equal(request.scheme, 'http');
  });

  it('keeps the listener\'s scheme and the peer without those headers', () => {
    const request = build({ peerAddress: '10.0.0.5', rawHeaders: ['Host', 'x'] },
      { scheme: 'https', trustedProxies: new AddressList(['10.0.0.0/8']) });
    assert.equal(request.remoteAddr, '10.0.0.5');
    assert.equal(request.scheme, 'https');
  });
});
