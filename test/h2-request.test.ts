// The pure builder from an HTTP/2 header block to the request the router gets: the same environ as
// the HTTP/1.1 head of the same request apart from SERVER_PROTOCOL, :authority as HTTP_HOST (a Host
// field wins), the cookie fields HTTP/2 splits joined again, the body's length (Content-Length, 0
// when HEADERS ended the stream, else unknown), Expect: 100-continue, and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressList } from '../src/config/address-list.ts';
import { ANSWERS } from '../src/listeners/answers.ts';
import { buildH2Request, type H2Head } from '../src/listeners/h2-request.ts';
import { buildHttpRequest, isRefusal, type HttpListenerContext } from '../src/listeners/http-request.ts';
import type { ParsedRequest, Refusal } from '../src/listeners/request.ts';

/** What a TLS connection adds to its requests' environ (tls.ts). */
const HTTPS_ON = '\0HTTPS\0on';

const LISTENER: HttpListenerContext = {
  serverName: 'example.test', serverPort: '8443', scheme: 'https', trustedProxies: new AddressList([]), unix: false, maxHeaders: 100,
};

function h2(rawHeaders: string[], fields: Partial<H2Head> = {}): H2Head {
  return { rawHeaders, endStream: true, peerAddress: '192.0.2.10', peerPort: 40000, connectionVars: HTTPS_ON, trailers: () => [], ...fields };
}

function build(rawHeaders: string[], fields: Partial<H2Head> = {}, listener = LISTENER): ParsedRequest {
  const built = buildH2Request(h2(rawHeaders, fields), listener);
  assert.ok(!isRefusal(built), `refused: ${isRefusal(built) ? built.why : ''}`);
  return built;
}

function refusal(rawHeaders: string[], listener = LISTENER): Refusal {
  const built = buildH2Request(h2(rawHeaders), listener);
  assert.ok(isRefusal(built), 'refused');
  return built;
}

const GET = [':method', 'GET', ':scheme', 'https', ':authority', 'example.test:8443', ':path', '/a%20b/c?x=1'];

describe('an HTTP/2 request', () => {
  it('has the environ of its HTTP/1.1 form but for SERVER_PROTOCOL', () => {
    const viaH2 = build([...GET, 'user-agent', 'curl/7.88.1', 'accept', '*/*']);
    const viaHttp1 = buildHttpRequest({
      method: 'GET', url: '/a%20b/c?x=1', versionMajor: 1, versionMinor: 1,
      rawHeaders: ['user-agent', 'curl/7.88.1', 'accept', '*/*', 'Host', 'example.test:8443'],
      peerAddress: '192.0.2.10', peerPort: 40000, expectContinue: false, trailers: () => [], connectionVars: HTTPS_ON,
    }, LISTENER);
    assert.ok(!isRefusal(viaHttp1));
    assert.equal(viaH2.protocol, 'HTTP/2');
    assert.equal(viaH2.environ, viaHttp1.environ.replace('SERVER_PROTOCOL\0HTTP/1.1', 'SERVER_PROTOCOL\0HTTP/2'));
    assert.equal(viaH2.path, '/a b/c');
    assert.equal(viaH2.query, 'x=1');
    assert.equal(viaH2.headers.get('HTTP_HOST'), 'example.test:8443');
    assert.equal(viaH2.scheme, 'https');
    assert.match(viaH2.environ, /\x00HTTPS\x00on\x00/);
  });

  it('takes the Host field over :authority when it has both', () => {
    assert.equal(build([...GET, 'host', 'other.test']).headers.get('HTTP_HOST'), 'other.test');
  });

  it('has no HTTP_HOST without :authority or Host', () => {
    assert.equal(build([':method', 'GET', ':scheme', 'https', ':path', '/']).headers.has('HTTP_HOST'), false);
  });

  it("joins the cookie fields HTTP/2 splits with '; '", () => {
    assert.equal(build([...GET, 'cookie', 'a=1', 'cookie', 'b=2']).headers.get('HTTP_COOKIE'), 'a=1; b=2');
  });

  it('takes the scheme from the listener, not from :scheme', () => {
    assert.equal(build([':method', 'GET', ':scheme', 'http', ':authority', 'x', ':path', '/']).scheme, 'https');
  });

  it('has a body of its Content-Length, none when HEADERS ended the stream, else of unknown length', () => {
    const post = [':method', 'POST', ':scheme', 'https', ':authority', 'x', ':path', '/up'];
    assert.equal(build([...post, 'content-length', '12'], { endStream: false }).bodyLength, 12);
    assert.equal(build(post, { endStream: true }).bodyLength, 0);
    const unknown = build(post, { endStream: false });
    assert.equal(unknown.bodyLength, -1);
    assert.doesNotMatch(unknown.environ, /CONTENT_LENGTH/);
    assert.notEqual(unknown.vetTrailers, null, 'a trailer may come at its end');
  });

  it('waits for 100 Continue only when a body comes', () => {
    const post = [':method', 'POST', ':scheme', 'https', ':authority', 'x', ':path', '/', 'expect', '100-continue'];
    assert.equal(build(post, { endStream: false }).expectContinue, true);
    assert.equal(build(post, { endStream: true }).expectContinue, false);
  });

  it('refuses CONNECT, a second Content-Length, too many fields, and * but for OPTIONS', () => {
    assert.equal(refusal([':method', 'CONNECT', ':authority', 'x:443']).answer, ANSWERS.methodNotAllowed);
    assert.equal(refusal([...GET, 'content-length', '1', 'content-length', '1']).rule, 'duplicate Content-Length');
    const many: string[] = [];
    for (let i = 0; i < 101; i++) many.push(`x-${i}`, 'v');
    assert.equal(refusal([...GET, ...many]).answer, ANSWERS.tooManyHeaders);
    assert.equal(refusal([':method', 'GET', ':scheme', 'https', ':path', '*']).rule, 'asterisk target');
    assert.equal(build([':method', 'OPTIONS', ':scheme', 'https', ':path', '*']).path, '');
  });
});
