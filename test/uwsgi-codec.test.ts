// The uwsgi head parser on its own (sans-IO): valid packets however they are split, and every way a
// head can be malformed or too large.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_VARS, UwsgiHeadParser, UwsgiParseError, type FeedResult, type UwsgiHead } from '../src/listeners/uwsgi-codec.ts';
import { encodePacket, nginxVars } from './helpers/uwsgi-client.ts';

/** Feeds `chunks` in order until the parser answers; returns the answer and how many chunks it took. */
function feedAll(chunks: Buffer[], maxDatasize = 4096): { result: FeedResult; used: number } {
  const parser = new UwsgiHeadParser(maxDatasize);
  for (let i = 0; i < chunks.length; i++) {
    const result = parser.feed(chunks[i]);
    if (result !== null) return { result, used: i + 1 };
  }
  return { result: null, used: chunks.length };
}

function expectHead(result: FeedResult): UwsgiHead {
  assert.ok(result !== null && !(result instanceof UwsgiParseError), `expected a head, got ${String(result)}`);
  return result;
}

function expectError(result: FeedResult, code: string): UwsgiParseError {
  assert.ok(result instanceof UwsgiParseError, `expected ${code}, got ${result === null ? 'need more' : 'a head'}`);
  assert.equal(result.code, code, result.message);
  return result;
}

/** A header for a vars block of `datasize` bytes, and the block as given. */
function rawPacket(block: Buffer, datasize = block.length, modifier1 = 0): Buffer {
  return Buffer.concat([Buffer.from([modifier1, datasize & 0xff, datasize >> 8, 0]), block]);
}

const vars = nginxVars({ method: 'POST', uri: '/submit?x=1', contentLength: 5, headers: [['Host', 'example.com'], ['User-Agent', 'test']] });
const packet = encodePacket(vars);
const body = Buffer.from('hello');
const stream = Buffer.concat([packet, body]);

describe('uwsgi head parser: valid packets', () => {
  it('parses a head that arrives in one chunk, with the body after it', () => {
    const head = expectHead(feedAll([stream]).result);
    assert.equal(head.modifier1, 0);
    assert.equal(head.modifier2, 0);
    assert.deepEqual(head.keys, vars.map(([k]) => k));
    assert.deepEqual(head.values, vars.map(([, v]) => v));
    assert.deepEqual(head.rest, body);
  });

  it('gives the same head for every split of the stream into two chunks', () => {
    for (let at = 0; at <= stream.length; at++) {
      const { result, used } = feedAll([stream.subarray(0, at), stream.subarray(at)]);
      const head = expectHead(result);
      assert.deepEqual(head.keys, vars.map(([k]) => k), `split at ${at}`);
      assert.deepEqual(head.values, vars.map(([, v]) => v), `split at ${at}`);
      // the chunk that completed the head carries the start of the body
      const inFirst = at >= packet.length;
      assert.equal(used, inFirst ? 1 : 2, `split at ${at}`);
      assert.deepEqual(head.rest, inFirst ? stream.subarray(packet.length, at) : body, `split at ${at}`);
    }
  });

  it('parses a head fed one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    const { result, used } = feedAll(bytes);
    const head = expectHead(result);
    assert.equal(used, packet.length);
    assert.deepEqual(head.values, vars.map(([, v]) => v));
    assert.equal(head.rest.length, 0);
  });

  it('gives the same head for every split into three chunks', () => {
    for (let a = 1; a < packet.length; a += 7) {
      for (let b = a; b <= packet.length; b += 5) {
        const head = expectHead(feedAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]).result);
        assert.deepEqual(head.keys, vars.map(([k]) => k), `splits at ${a}, ${b}`);
      }
    }
  });

  it('accepts an empty vars block, empty values and repeated keys (in order)', () => {
    assert.deepEqual(expectHead(feedAll([rawPacket(Buffer.alloc(0))]).result).keys, []);
    const head = expectHead(feedAll([encodePacket([['A', ''], ['B', 'x'], ['A', 'y']])]).result);
    assert.deepEqual(head.keys, ['A', 'B', 'A']);
    assert.deepEqual(head.values, ['', 'x', 'y']);
  });

  it('reads keys and values as latin-1 and reports modifier2', () => {
    const head = expectHead(feedAll([encodePacket([['HTTP_X', Buffer.from([0xe9, 0xff, 0x41])]], 0, 7)]).result);
    assert.equal(head.values[0], '\u00e9\u00ffA');
    assert.equal(head.modifier2, 7);
  });

  it(`accepts ${MAX_VARS} vars`, () => {
    const many = Array.from({ length: MAX_VARS }, (_, i) => [`K${i}`, 'v'] as [string, string]);
    assert.equal(expectHead(feedAll([encodePacket(many)], 65535).result).keys.length, MAX_VARS);
  });

  it('accepts a vars block of exactly buffer-size bytes', () => {
    const block = encodePacket([['K', 'v'.repeat(100)]]);
    expectHead(feedAll([block], block.length - 4).result);
  });
});

describe('uwsgi head parser: malformed heads', () => {
  it(`refuses more than ${MAX_VARS} vars`, () => {
    const many = Array.from({ length: MAX_VARS + 1 }, (_, i) => [`K${i}`, ''] as [string, string]);
    expectError(feedAll([encodePacket(many)], 65535).result, 'TOO_MANY_VARS');
  });

  it('refuses a zero-length key', () => {
    expectError(feedAll([encodePacket([['A', '1'], ['', 'x']])]).result, 'EMPTY_KEY');
  });

  it('refuses a key length that runs past the vars block', () => {
    const block = Buffer.from([10, 0, 65, 66]); // key length 10, two bytes of key
    expectError(feedAll([rawPacket(block)]).result, 'TRUNCATED_VAR');
  });

  it('refuses a value length that runs past the vars block, even if the bytes follow it', () => {
    const good = encodePacket([['KEY', 'value']]).subarray(4);
    const block = Buffer.from(good);
    block.writeUInt16LE(50, 5); // the value claims 50 bytes; 45 more follow, outside the block
    expectError(feedAll([Buffer.concat([rawPacket(block), Buffer.alloc(45, 0x61)])]).result, 'TRUNCATED_VAR');
  });

  it('refuses a block that ends in the middle of a length', () => {
    expectError(feedAll([rawPacket(Buffer.from([1, 0, 65, 1]))]).result, 'TRUNCATED_VAR');
    expectError(feedAll([rawPacket(Buffer.from([1, 0, 65, 0, 0, 7]))]).result, 'TRUNCATED_VAR');
  });

  it('refuses a key without a value length', () => {
    expectError(feedAll([rawPacket(Buffer.from([1, 0, 65]))]).result, 'TRUNCATED_VAR');
  });

  it('refuses a vars block larger than buffer-size, from the header alone', () => {
    const error = expectError(feedAll([Buffer.from([0, 0x01, 0x20, 0])]).result, 'HEAD_TOO_LARGE');
    assert.equal(error.value, 0x2001);
    assert.match(error.message, /8193 bytes, more than buffer-size \(4096 bytes\)/);
  });

  it('takes a buffer-size above 65535 as 65535 (the field is 16-bit)', () => {
    const block = encodePacket([['K', 'v'.repeat(65000)]]);
    expectHead(feedAll([block], 1024 * 1024).result);
  });

  it('waits for more while the head is incomplete', () => {
    const parser = new UwsgiHeadParser(4096);
    assert.equal(parser.feed(packet.subarray(0, 2)), null);
    assert.equal(parser.feed(packet.subarray(2, 10)), null);
    expectHead(parser.feed(packet.subarray(10)));
  });
});

describe('uwsgi head parser: other protocols and request types', () => {
  for (const line of ['GET / HTTP/1.1\r\n', 'POST /x HTTP/1.1\r\n', 'HEAD / HTTP/1.0\r\n', 'PUT /x HTTP/1.1\r\n',
    'DELETE /x HTTP/1.1\r\n', 'OPTIONS * HTTP/1.1\r\n', 'PATCH /x HTTP/1.1\r\n', 'CONNECT a:443 HTTP/1.1\r\n']) {
    it(`recognises HTTP: ${JSON.stringify(line.split(' ')[0])}`, () => {
      expectError(feedAll([Buffer.from(line)]).result, 'LOOKS_LIKE_HTTP');
    });
  }

  it('recognises HTTP sent in small pieces', () => {
    expectError(feedAll([Buffer.from('G'), Buffer.from('ET'), Buffer.from(' / HTTP/1.1\r\n')]).result, 'LOOKS_LIKE_HTTP');
  });

  it('recognises a TLS handshake', () => {
    expectError(feedAll([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])]).result, 'LOOKS_LIKE_TLS');
  });

  it('refuses a modifier1 other than 0, naming it', () => {
    const error = expectError(feedAll([encodePacket([['A', 'b']], 5)]).result, 'UNSUPPORTED_MODIFIER');
    assert.equal(error.value, 5);
    assert.match(error.message, /unsupported modifier1 5/);
  });
});

describe('uwsgi head parser: random input', () => {
  it('answers need-more, a head or an error to 20000 random and mutated inputs, never throws', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let n = 0; n < 20000; n++) {
      let input: Buffer;
      if (n % 2 === 0) {
        input = Buffer.alloc(Math.floor(random() * 64));
        for (let i = 0; i < input.length; i++) input[i] = Math.floor(random() * 256);
        if (random() < 0.7 && input.length > 0) input[0] = 0;
      } else {
        input = Buffer.from(stream);
        for (let k = 1 + Math.floor(random() * 4); k > 0; k--) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      }
      const chunks: Buffer[] = [];
      for (let at = 0; at < input.length;) {
        const size = 1 + Math.floor(random() * 40);
        chunks.push(input.subarray(at, at + size));
        at += size;
      }
      const { result } = feedAll(chunks);
      assert.ok(result === null || result instanceof UwsgiParseError || Array.isArray(result.keys));
    }
  });
});
