// forwardedOrigin: REMOTE_ADDR and wsgi.url_scheme of a request whose direct peer is a trusted
// proxy, from its X-Forwarded-For (the rightmost address that is not a trusted proxy) and
// X-Forwarded-Proto (its last value). Whether the peer itself is trusted is the caller's
// question, and the address list's matching has tests of its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressList } from '../src/config/address-list.ts';
import { forwardedOrigin } from '../src/listeners/peers.ts';

const trusted = new AddressList(['10.0.0.0/8', 'fd00::/8']);
const PEER = '10.0.0.1';

/** The client address X-Forwarded-For `header` gives for a request from the trusted PEER. */
function client(header: string | undefined): string {
  return forwardedOrigin(trusted, PEER, 'http', header, undefined).remoteAddr;
}

/** The scheme X-Forwarded-Proto `header` gives on a listener of scheme `scheme`. */
function scheme(header: string | undefined, listenerScheme = 'http'): string {
  return forwardedOrigin(trusted, PEER, listenerScheme, undefined, header).scheme;
}

describe('X-Forwarded-For', () => {
  it('names the client when one proxy added it', () => {
    assert.equal(client('203.0.113.9'), '203.0.113.9');
    assert.equal(client('2001:db8::9'), '2001:db8::9');
  });

  it('is read from the right: the first address that is not a trusted proxy is the client', () => {
    assert.equal(client('198.51.100.1, 203.0.113.9'), '203.0.113.9', 'what the client wrote itself proves nothing');
    assert.equal(client('198.51.100.1, 203.0.113.9, 10.0.0.7'), '203.0.113.9');
  });

  it('is read through a chain of trusted proxies', () => {
    assert.equal(client('203.0.113.9, 10.1.1.1, fd00::7, 10.0.0.7'), '203.0.113.9');
  });

  it('gives the leftmost address when every address is a trusted proxy', () => {
    assert.equal(client('10.2.2.2, 10.0.0.7'), '10.2.2.2');
  });

  it('is read with or without spaces around the commas', () => {
    assert.equal(client(' 203.0.113.9 ,10.0.0.7 '), '203.0.113.9');
    assert.equal(client('203.0.113.9,10.0.0.7'), '203.0.113.9');
  });

  it('says nothing when its rightmost entry is not an address: the peer stays the client', () => {
    assert.equal(client('unknown'), PEER);
    assert.equal(client('203.0.113.9, garbage'), PEER);
    assert.equal(client('203.0.113.9, 203.0.113.10:4711'), PEER, 'an address with a port is not an address');
    assert.equal(client('203.0.113.9, [2001:db8::9]'), PEER);
    assert.equal(client(''), PEER);
    assert.equal(client('203.0.113.9,'), PEER);
  });

  it('stops at an entry that is not an address, giving the last trusted proxy before it', () => {
    assert.equal(client('203.0.113.9, garbage, 10.0.0.7'), '10.0.0.7');
    assert.equal(client('203.0.113.9,, 10.0.0.7'), '10.0.0.7');
    assert.equal(client(',10.0.0.7'), '10.0.0.7');
  });

  it('leaves the peer as the client when absent', () => {
    assert.equal(client(undefined), PEER);
  });
});

describe('X-Forwarded-Proto', () => {
  it('gives http or https', () => {
    assert.equal(scheme('https'), 'https');
    assert.equal(scheme('http', 'https'), 'http');
  });

  it('is read whatever its case and spaces', () => {
    assert.equal(scheme('HTTPS'), 'https');
    assert.equal(scheme(' Https '), 'https');
  });

  it('gives its last value when a proxy appended one', () => {
    assert.equal(scheme('http, https'), 'https');
    assert.equal(scheme('https,http'), 'http');
  });

  it('says nothing with any other value: the listener\'s scheme stays', () => {
    assert.equal(scheme('ftp'), 'http');
    assert.equal(scheme('', 'https'), 'https');
    assert.equal(scheme('https, wss'), 'http', 'only the last value counts');
  });

  it('leaves the listener\'s scheme when absent', () => {
    assert.equal(scheme(undefined, 'https'), 'https');
  });
});

it('reads both headers independently', () => {
  assert.deepEqual(forwardedOrigin(trusted, PEER, 'http', '203.0.113.9', 'https'), { remoteAddr: '203.0.113.9', scheme: 'https' });
  assert.deepEqual(forwardedOrigin(trusted, PEER, 'http', 'garbage', 'https'), { remoteAddr: PEER, scheme: 'https' });
  assert.deepEqual(forwardedOrigin(trusted, PEER, 'https', '203.0.113.9', 'gopher'), { remoteAddr: '203.0.113.9', scheme: 'https' });
});
