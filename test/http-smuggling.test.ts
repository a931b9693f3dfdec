// Request smuggling and framing attacks on the HTTP front, one server for the whole table (echo
// app). Every attack is refused: a 4xx/5xx status line and then the end of the connection (an
// attack hidden in the body or the trailers may also end the connection without a response, since
// its head was accepted before the flaw showed). Nothing the attacker hid after the head reaches
// the app, and the server keeps serving.
//
// Each attack hides a request for /smuggled-ID where some other reading of its framing would find
// one, and is sent twice: alone, and followed on the same connection by a pipelined GET /next-ID.
// What reached the app is read from the request log lines (`] GET /next-ID => generated ...`).
//
// Bare LF (RFC 9112 2.2: a recipient MAY take a lone LF as a line end, and MUST refuse a lone CR or
// replace it with SP): node's parser refuses a lone LF wherever a CRLF belongs (request line,
// header lines, the empty line, chunk framing) and a lone CR too, with 400, so both are refusals
// in this table and nothing is read two ways.
//
// The second table holds the legal spellings next to those attacks (optional whitespace, case,
// leading zeros, a request after the final chunk...): they are served, framed as RFC 9112 says,
// and the pipelined request after them is served as a request of its own. node's parser is
// stricter than RFC 9110 5.5 in one place: a tab after the value of Content-Length is answered 400,
// and `chunked` followed by a tab is not taken for chunked (the request is refused); a tab before
// the value, and spaces on either side, are accepted. Refusing is safe, so those are left out.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import {
  RawClient, httpRequest, json, parseAll, stopServer, waitFor, type Echo, type RawResponse,
} from './helpers/wire.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

/** The request an attack hides: reaching the app would mean the front read the framing two ways. */
const smuggled = (id: string) => `GET /smuggled-${id} HTTP/1.1\r\nHost: x\r\n\r\n`;

/** A POST to /attack-ID with `fields` (each ending in CRLF) and `body`. */
const post = (id: string, fields: string, body: string) => `POST /attack-${id} HTTP/1.1\r\nHost: x\r\n${fields}\r\n${body}`;

/** `5\r\nhello\r\n0\r\n\r\n` with `size` in place of the 5 (and `sep` after it). */
const badChunk = (size: string, sep = '\r\n') => `${size}${sep}hello\r\n0\r\n\r\n`;

/** Status lines that refuse a transfer coding the server does not implement: 501, or 400. */
const CODING = [400, 501];

interface Attack {
  name: string;
  /** The bytes: `id` makes its paths unique. */
  bytes(id: string): string;
  /** The statuses that refuse it; the first is the one RFC 9112/9110 asks for. */
  statuses: number[];
  /**
   * The flaw is in the body or the trailers, after a valid head was handed on: the connection may
   * end without any response (the app's request is broken off), or with one of `statuses`.
   */
  inBody?: boolean;
}

/** The obfuscated Transfer-Encoding fields, each sent without and with a Content-Length. */
const obfuscatedCodings: Array<[string, string]> = [
  ['Transfer-Encoding: xchunked', 'Transfer-Encoding: xchunked\r\n'],
  ['Transfer-Encoding: chunked\\x0b (vertical tab after the coding)', 'Transfer-Encoding: chunked\x0b\r\n'],
  ['Transfer-Encoding folded onto a tab-indented line', 'Transfer-Encoding:\r\n\tchunked\r\n'],
  ['Transfer-Encoding : chunked (space before the colon)', 'Transfer-Encoding : chunked\r\n'],
  ['two Transfer-Encoding: chunked fields', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
  ['Transfer-Encoding: chunked, chunked', 'Transfer-Encoding: chunked, chunked\r\n'],
  ['Transfer-Encoding: chunked, identity (chunked not last)', 'Transfer-Encoding: chunked, identity\r\n'],
  ['Transfer-Encoding: identity', 'Transfer-Encoding: identity\r\n'],
  ['Transfer-Encoding: identity, chunked', 'Transfer-Encoding: identity, chunked\r\n'],
  ['Transfer-Encoding: gzip, chunked (a coding the server does not implement)', 'Transfer-Encoding: gzip, chunked\r\n'],
];

const ATTACKS: Attack[] = [
  // Content-Length and Transfer-Encoding together: RFC 9112 6.1 lets a server process such a
  // request only by closing the connection after it; refusing is what nginx and node do.
  {
    name: 'CL.TE: Content-Length covering a chunked body with a request after its last chunk',
    bytes: (id) => {
      const body = `0\r\n\r\n${smuggled(id)}`;
      return post(id, `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`, body);
    },
    statuses: [400],
  },
  {
    name: 'TE.CL: Transfer-Encoding first, a Content-Length that ends inside the first chunk',
    bytes: (id) => {
      const inner = smuggled(id);
      return post(id, 'Transfer-Encoding: chunked\r\nContent-Length: 4\r\n', `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`);
    },
    statuses: [400],
  },
  // Obfuscated Transfer-Encoding. Alone, its body is a request (what a reader that ignores the
  // field would see next); with a Content-Length, its body is a final chunk and then a request (what
  // a reader that takes it for chunked would see next).
  ...obfuscatedCodings.flatMap(([what, field]): Attack[] => [
    { name: what, bytes: (id) => post(id, field, smuggled(id)), statuses: field.includes(' : ') || field.includes('\t') ? [400] : CODING },
    {
      name: `${what}, with a Content-Length`,
      bytes: (id) => {
        const body = `0\r\n\r\n${smuggled(id)}`;
        return post(id, `${field}Content-Length: ${body.length}\r\n`, body);
      },
      statuses: field.includes(' : ') || field.includes('\t') ? [400] : CODING,
    },
  ]),
  {
    name: 'Transfer-Encoding: chunked on an HTTP/1.0 request',
    bytes: (id) => `POST /attack-${id} HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled(id)}`,
    statuses: [400],
  },

  // Content-Length values
  {
    name: 'two Content-Length fields with different values',
    bytes: (id) => post(id, 'Content-Length: 0\r\nContent-Length: ' + smuggled(id).length + '\r\n', smuggled(id)),
    statuses: [400],
  },
  {
    name: 'two Content-Length fields with the same value',
    bytes: (id) => post(id, 'Content-Length: 5\r\nContent-Length: 5\r\n', 'hello' + smuggled(id)),
    statuses: [400],
  },
  { name: 'Content-Length: 5, 5 (a list)', bytes: (id) => post(id, 'Content-Length: 5, 5\r\n', 'hello' + smuggled(id)), statuses: [400] },
  { name: 'Content-Length: +5', bytes: (id) => post(id, 'Content-Length: +5\r\n', 'hello' + smuggled(id)), statuses: [400] },
  { name: 'Content-Length: -5', bytes: (id) => post(id, 'Content-Length: -5\r\n', smuggled(id)), statuses: [400] },
  { name: 'Content-Length: 0x5', bytes: (id) => post(id, 'Content-Length: 0x5\r\n', 'hello' + smuggled(id)), statuses: [400] },
  { name: 'Content-Length: 5 5 (two numbers)', bytes: (id) => post(id, 'Content-Length: 5 5\r\n', 'hello' + smuggled(id)), statuses: [400] },
  {
    name: 'Content-Length past 2^64',
    bytes: (id) => post(id, 'Content-Length: 18446744073709551621\r\n', 'hello' + smuggled(id)),
    statuses: [400, 413],
  },

  // Line folding, line ends, control characters
  {
    name: 'obs-fold: a header line starting with a space',
    bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n X-B: 2\r\n\r\n${smuggled(id)}`,
    statuses: [400],
  },
  {
    name: 'obs-fold: a header line starting with a tab',
    bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tContent-Length: 5\r\n\r\nhello${smuggled(id)}`,
    statuses: [400],
  },
  {
    name: 'a folded first header line',
    bytes: (id) => `GET /attack-${id} HTTP/1.1\r\n Host: x\r\n\r\n${smuggled(id)}`,
    statuses: [400],
  },
  { name: 'bare LF line ends throughout the head', bytes: (id) => `GET /attack-${id} HTTP/1.1\nHost: x\n\n${smuggled(id)}`, statuses: [400] },
  { name: 'bare LF after the request line', bytes: (id) => `GET /attack-${id} HTTP/1.1\nHost: x\r\n\r\n${smuggled(id)}`, statuses: [400] },
  {
    name: 'bare LF between header lines, hiding a Content-Length',
    bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\nContent-Length: 5\r\n\r\nhello${smuggled(id)}`,
    statuses: [400],
  },
  { name: 'bare LF as the empty line', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\n\n${smuggled(id)}`, statuses: [400] },
  {
    name: 'bare CR between header lines',
    bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\rContent-Length: 5\r\n\r\nhello${smuggled(id)}`,
    statuses: [400],
  },
  { name: 'NUL in a field value', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n`, statuses: [400] },
  { name: 'NUL in a field name', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX\0A: b\r\n\r\n`, statuses: [400] },
  { name: '\\x01 in a field value', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n`, statuses: [400] },
  { name: 'DEL (\\x7f) in a field value', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n`, statuses: [400] },
  { name: '\\x0b in a field name', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nX\x0bA: b\r\n\r\n`, statuses: [400] },
  { name: 'a space inside a field name', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nContent Length: 5\r\n\r\nhello`, statuses: [400] },
  { name: 'an empty field name', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n`, statuses: [400] },
  { name: 'a header line without a colon', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\nContent-Length 5\r\n\r\nhello`, statuses: [400] },

  // Chunk framing: the head is valid, so the request may already be with the app
  {
    name: 'a 20000-byte chunk-size line (chunk extensions)',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('5;a=' + 'b'.repeat(20_000)) + smuggled(id)),
    statuses: [400, 413, 431], inBody: true,
  },
  { name: 'chunk size +5', bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('+5') + smuggled(id)), statuses: [400], inBody: true },
  { name: 'chunk size -5', bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('-5') + smuggled(id)), statuses: [400], inBody: true },
  { name: 'chunk size 0x5', bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('0x5') + smuggled(id)), statuses: [400], inBody: true },
  { name: 'chunk size with a leading space', bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk(' 5') + smuggled(id)), statuses: [400], inBody: true },
  { name: 'chunk extension with a NUL', bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('5;a=\0') + smuggled(id)), statuses: [400], inBody: true },
  {
    name: 'chunk extension with a bare CR',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('5;a=b\rc') + smuggled(id)),
    statuses: [400], inBody: true,
  },
  {
    name: 'chunk extension ended by a bare LF',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('5;a=b', '\n') + smuggled(id)),
    statuses: [400], inBody: true,
  },
  {
    name: 'chunk size 2^64 + 5 (wraps to 5 in 64 bits)',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('10000000000000005') + smuggled(id)),
    statuses: [400, 413], inBody: true,
  },
  {
    name: 'chunk size of 18 hex digits',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', badChunk('ffffffffffffffffff') + smuggled(id)),
    statuses: [400, 413], inBody: true,
  },
  {
    name: 'chunk data longer than its size, a request where the CRLF belongs',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', `5\r\nhello${smuggled(id)}\r\n0\r\n\r\n`),
    statuses: [400], inBody: true,
  },
  { name: 'bare LF chunk framing', bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', '5\nhello\n0\n\n' + smuggled(id)), statuses: [400], inBody: true },

  // Trailers that would change the framing or the routing (RFC 9110 6.5.1)
  {
    name: 'Host in the trailers',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nHost: evil.example\r\n\r\n'),
    statuses: [400], inBody: true,
  },
  {
    name: 'Content-Length in the trailers',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', `5\r\nhello\r\n0\r\nContent-Length: ${smuggled(id).length}\r\n\r\n${smuggled(id)}`),
    statuses: [400], inBody: true,
  },
  {
    name: 'Transfer-Encoding in the trailers',
    bytes: (id) => post(id, 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n'),
    statuses: [400], inBody: true,
  },

  // Request lines
  { name: 'HTTP/0.9: GET / without a version', bytes: () => 'GET /\r\n\r\n', statuses: [400, 505] },
  { name: 'HTTP/2.0 request line', bytes: (id) => `GET /attack-${id} HTTP/2.0\r\nHost: x\r\n\r\n`, statuses: [505] },
  { name: 'HTTP/1.2 request line', bytes: (id) => `GET /attack-${id} HTTP/1.2\r\nHost: x\r\n\r\n`, statuses: [505, 400] },
  { name: 'HTTP/0.9 request line with a version', bytes: (id) => `GET /attack-${id} HTTP/0.9\r\nHost: x\r\n\r\n`, statuses: [505] },
  { name: 'HTTP/3.0 request line', bytes: (id) => `GET /attack-${id} HTTP/3.0\r\nHost: x\r\n\r\n`, statuses: [505, 400] },
  { name: 'HTTP/1.10 request line', bytes: (id) => `GET /attack-${id} HTTP/1.10\r\nHost: x\r\n\r\n`, statuses: [400, 505] },
  { name: 'GET * (asterisk-form is for OPTIONS only)', bytes: () => 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', statuses: [400] },
  { name: 'CONNECT host:443', bytes: () => 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', statuses: [405] },
  {
    name: 'absolute-form for another host than Host',
    bytes: (id) => `GET http://evil.example/attack-${id} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    statuses: [400],
  },
  { name: 'a space inside the request target', bytes: (id) => `GET /attack-${id} x HTTP/1.1\r\nHost: x\r\n\r\n`, statuses: [400] },

  // The front's own refusals: what is pipelined after them must not run either
  { name: 'an encoded NUL in the path', bytes: (id) => `GET /attack-${id}%00 HTTP/1.1\r\nHost: x\r\n\r\n`, statuses: [400] },

  // Fields the front vets
  { name: 'no Host on HTTP/1.1', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\n\r\n`, statuses: [400] },
  { name: 'two Host fields', bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n`, statuses: [400] },
  {
    name: 'two Content-Type fields',
    bytes: (id) => post(id, 'Content-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 0\r\n', ''),
    statuses: [400],
  },
  {
    name: '101 header fields (one over --http-max-headers)',
    bytes: (id) => `GET /attack-${id} HTTP/1.1\r\nHost: x\r\n${manyFields(100)}\r\n`,
    statuses: [431],
  },
];

/** `n` short fields, X-F0 to X-F(n-1). */
function manyFields(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `X-F${i}: v\r\n`;
  return out;
}

interface Framed {
  name: string;
  /** The request(s); a pipelined GET /next-ID follows them, unless `last`. */
  bytes(id: string): string;
  /** What the app saw, response by response: its path and, where given, its body. */
  expect(id: string): Array<{ path: string; body?: string }>;
  /** The connection ends after these requests (HTTP/1.0): nothing is pipelined after them. */
  last?: boolean;
}

const chunkedHello = '5\r\nhello\r\n0\r\n\r\n';

const FRAMED: Framed[] = [
  {
    name: 'Content-Length with whitespace around the value',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nContent-Length:\t 5  \r\n\r\nhello`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/next-${id}` }],
  },
  {
    name: 'Transfer-Encoding with whitespace around the value',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\t  chunked  \r\n\r\n${chunkedHello}`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/next-${id}` }],
  },
  {
    name: 'Transfer-Encoding: CHUNKED (codings are case-insensitive)',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n${chunkedHello}`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/next-${id}` }],
  },
  {
    name: 'a chunk size with 100 leading zeros',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${'0'.repeat(100)}5\r\nhello\r\n0\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/next-${id}` }],
  },
  {
    name: 'chunk extensions and an ordinary trailer field',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c="d e"\r\nhello\r\n0;z\r\nX-Checksum: 1\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/next-${id}` }],
  },
  {
    name: 'a request after the final chunk is a request, not body',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedHello}GET /after-${id} HTTP/1.1\r\nHost: x\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/after-${id}` }, { path: `/next-${id}` }],
  },
  {
    name: 'a request after a Content-Length body is a request, not body',
    bytes: (id) => `POST /framed-${id} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /after-${id} HTTP/1.1\r\nHost: x\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}`, body: 'hello' }, { path: `/after-${id}` }, { path: `/next-${id}` }],
  },
  {
    name: 'an empty line before the request line (RFC 9112 2.2)',
    bytes: (id) => `\r\nGET /framed-${id} HTTP/1.1\r\nHost: x\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}` }, { path: `/next-${id}` }],
  },
  {
    name: 'absolute-form naming the Host',
    bytes: (id) => `GET http://localhost/framed-${id} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}` }, { path: `/next-${id}` }],
  },
  {
    name: 'obs-text (bytes 0x80-0xff) and a tab inside a field value',
    bytes: (id) => `GET /framed-${id} HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\tau lait\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}` }, { path: `/next-${id}` }],
  },
  {
    name: '100 header fields (the --http-max-headers default)',
    bytes: (id) => `GET /framed-${id} HTTP/1.1\r\nHost: x\r\n${manyFields(99)}\r\n`,
    expect: (id) => [{ path: `/framed-${id}` }, { path: `/next-${id}` }],
  },
  {
    name: 'HTTP/1.0 without Host',
    bytes: (id) => `GET /framed-${id} HTTP/1.0\r\n\r\n`,
    expect: (id) => [{ path: `/framed-${id}` }],
    last: true,
  },
];

const nextRequest = (id: string) => `GET /next-${id} HTTP/1.1\r\nHost: x\r\n\r\n`;

/** Writes `bytes` on a new connection and returns what came back once the server ended it. */
async function exchange(port: number, bytes: string): Promise<{ responses: RawResponse[]; raw: Buffer }> {
  const client = await RawClient.connect(port);
  try {
    client.write(bytes);
    let raw: Buffer;
    try {
      raw = await client.readToEnd(10_000);
    } catch {
      throw new Error(`the connection was still open 10 s later (neither refused nor closed); received ${JSON.stringify(client.pending.subarray(0, 300).toString('latin1'))}`);
    }
    return { responses: parseAll(raw), raw };
  } finally {
    client.close();
  }
}

function describeResponses(responses: RawResponse[]): string {
  if (responses.length === 0) return 'no response';
  return responses.map((r) => {
    let path = '';
    try {
      path = ` ${json<Echo>(r.body).path}`;
    } catch { /* not the echo app's JSON */ }
    return `${r.statusCode}${path}`;
  }).join(', ');
}

/** The request log lines of the app's requests whose target contains `text`. */
function appRequests(server: RunningServer, from: number, text: string): string[] {
  return server.output().slice(from).split('\n').filter((line) => /^\[pid: \d+\|app: /.test(line) && line.includes(text));
}

describe('request smuggling and framing attacks are refused (echo app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--http-keepalive=2']);
  });
  after(() => stopServer(server));

  ATTACKS.forEach((attack, n) => {
    const id = `a${String(n).padStart(2, '0')}`;
    describe(`${id} ${attack.name}`, () => {
      let mark = 0;

      it(`is refused with ${attack.statuses.join(' or ')}${attack.inBody ? ' (or a close)' : ''}, and the connection closed`, async () => {
        mark = server.output().length;
        const { responses } = await exchange(server.port, attack.bytes(id));
        const seen = describeResponses(responses);
        assert.ok(responses.every((r) => r.statusCode < 200 || r.statusCode >= 300), `a 2xx for an attack: ${seen}`);
        const final = responses.filter((r) => r.statusCode >= 200);
        if (final.length === 0) {
          assert.ok(attack.inBody, 'the connection ended without a response: a refusal of a head needs a status line');
          return;
        }
        assert.ok(attack.statuses.includes(final[0]!.statusCode), `expected ${attack.statuses.join(' or ')}, got ${seen}:\n${final[0]!.headText}`);
        assert.equal(final.length, 1, `one response, then the close; got ${seen}`);
        if (!attack.inBody) {
          assert.deepEqual(appRequests(server, mark, `/attack-${id}`), [], 'the app never sees a refused head');
        }
        const status = final[0]!.statusCode;
        await waitFor(() => server.output().slice(mark).includes(`answered ${status}`), 5_000, `a log line ending "answered ${status}"`);
      });

      it('smuggles nothing past it when a request is pipelined after it; the server still serves', async () => {
        const from = server.output().length;
        // three times: whether a request pipelined after a refusal gets to run can be a race
        for (let i = 0; i < 3; i++) {
          const { responses } = await exchange(server.port, attack.bytes(id) + nextRequest(id));
          const seen = describeResponses(responses);
          assert.ok(responses.every((r) => r.statusCode < 200 || r.statusCode >= 300), `a 2xx on the attack's connection: ${seen}`);
        }
        const alive = await httpRequest(`${server.url}/alive-${id}`);
        assert.equal(alive.status, 200);
        assert.equal(json<Echo>(alive.body).path, `/alive-${id}`);
        assert.deepEqual(appRequests(server, mark, `/smuggled-${id}`), [], 'the request hidden in the attack reached the app');
        assert.deepEqual(appRequests(server, from, `/next-${id}`), [], 'the request pipelined after a refusal reached the app');
        assert.equal(server.proc.exitCode, null, 'the master is running');
      });
    });
  });
});

describe('legal spellings next to those attacks are served, framed as RFC 9112 says (echo app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', echoApp, '--http-keepalive=2']);
  });
  after(() => stopServer(server));

  FRAMED.forEach((framed, n) => {
    const id = `f${String(n).padStart(2, '0')}`;
    it(`${id} ${framed.name}`, async () => {
      const bytes = framed.bytes(id) + (framed.last ? '' : `GET /next-${id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const { responses } = await exchange(server.port, bytes);
      const seen = describeResponses(responses);
      const expected = framed.expect(id);
      assert.deepEqual(responses.map((r) => r.statusCode), expected.map(() => 200), `got ${seen}`);
      responses.forEach((r, i) => {
        const echo = json<Echo>(r.body);
        assert.equal(echo.path, expected[i]!.path, `response ${i + 1} of ${seen}`);
        if (expected[i]!.body !== undefined) assert.equal(echo.body, expected[i]!.body, `the body of response ${i + 1}`);
      });
    });
  });
});
