// A fuzzer for the HTTP front, shared by test/http-fuzz.test.ts (a few seconds) and
// scripts/http-fuzz.ts (as long as asked): valid requests from a small corpus, mutated (bytes
// flipped, CR/LF/NUL/space/colon inserted, lines duplicated, dropped or swapped, numbers mangled,
// framing fields injected, huge values within a bound, cut short) or replaced by garbage, sent
// over real sockets, several connections at once. Most clients then send a request of their own
// with `Connection: close` (so the connection ends as soon as the server is done); some end their
// side at once, a few stay silent past the keep-alive timeout.
//
// Case N is always the Nth input drawn from the seed's generator, whichever connection sends it,
// so a run is replayed by its seed and its number of cases.
import { RawClient, httpRequest, json, parseResponse, sleep, type Echo } from './wire.ts';

/** A small deterministic generator (mulberry32). */
export function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
  };
}

export type Random = ReturnType<typeof generator>;

export interface FuzzInput {
  /** Its number in the run, from 0. */
  n: number;
  bytes: Buffer;
  /** What it was made of: the corpus entry and the mutations, for the report. */
  kind: string;
  /** Offsets at which the bytes are cut into separate writes. */
  cuts: number[];
  /**
   * What the client does after the bytes. `sentinel`: sends a `Connection: close` request of its
   * own and waits for the server to end the connection (or to go quiet, then ends its side).
   * `half-close`: ends its side at once (node's server then drops what it was answering).
   * `silent`: waits past the keep-alive timeout before ending its side.
   */
  ending: 'sentinel' | 'half-close' | 'silent';
}

/** The request a `sentinel` client sends after its bytes. */
export const SENTINEL = 'GET /fuzz-sentinel HTTP/1.1\r\nHost: fuzz.example\r\nConnection: close\r\n\r\n';

/** The largest value a mutation inserts: past buffer-size, within a bound. */
const HUGE = 12_000;

const TOKEN = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const VCHAR = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function text(random: Random, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[random.int(alphabet.length)];
  return out;
}

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = random.int(256);
  return out;
}

function fields(random: Random): string {
  let out = 'Host: fuzz.example\r\n';
  for (let i = random.int(6); i > 0; i--) out += `X-${text(random, TOKEN, 1 + random.int(12))}: ${text(random, VCHAR, random.int(60)).trim()}\r\n`;
  if (random.chance(0.2)) out += 'Cookie: a=1; b=2\r\n';
  if (random.chance(0.2)) out += 'Connection: close\r\n';
  return out;
}

function target(random: Random): string {
  const path = `/fuzz/${random.int(1000)}/${text(random, TOKEN, random.int(10))}`;
  const query = random.chance(0.4) ? `?q=${text(random, TOKEN, random.int(20))}&p=%41%20` : '';
  return random.chance(0.1) ? `http://fuzz.example${path}${query}` : path + query;
}

function chunkedBody(random: Random, data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const size = Math.min(data.length - at, 1 + random.int(100));
    const ext = random.chance(0.2) ? `;${text(random, TOKEN, 3)}=${text(random, TOKEN, 3)}` : '';
    parts.push(Buffer.from(`${size.toString(16)}${ext}\r\n`, 'latin1'), data.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(Buffer.from(random.chance(0.2) ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** One valid request of the corpus, and its name. */
function validRequest(random: Random): [string, Buffer] {
  switch (random.int(6)) {
    case 0:
      return ['GET', Buffer.from(`GET ${target(random)} HTTP/1.1\r\n${fields(random)}\r\n`, 'latin1')];
    case 1: {
      const body = randomBytes(random, random.int(300));
      return ['POST Content-Length', Buffer.concat([
        Buffer.from(`POST ${target(random)} HTTP/1.1\r\n${fields(random)}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body])];
    }
    case 2: {
      const body = chunkedBody(random, randomBytes(random, random.int(300)));
      return ['POST chunked', Buffer.concat([
        Buffer.from(`PUT ${target(random)} HTTP/1.1\r\n${fields(random)}Transfer-Encoding: chunked\r\n\r\n`, 'latin1'), body])];
    }
    case 3:
      return ['HTTP/1.0 GET', Buffer.from(`GET ${target(random)} HTTP/1.0\r\n${random.chance(0.5) ? 'Connection: keep-alive\r\n' : ''}\r\n`, 'latin1')];
    case 4: {
      const body = Buffer.from(text(random, VCHAR, random.int(200)), 'latin1');
      return ['POST Expect: 100-continue', Buffer.concat([
        Buffer.from(`POST ${target(random)} HTTP/1.1\r\n${fields(random)}Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body])];
    }
    default: {
      const [a, first] = validRequest(random);
      const [b, second] = validRequest(random);
      return [`pipelined ${a} + ${b}`, Buffer.concat([first, second])];
    }
  }
}

const SPECIALS = ['\r', '\n', '\0', ' ', ':', '\t', '\r\n', ';', ',', '\x0b', '\x7f', '\xff', '\r\n\r\n'];
const NUMBERS = ['-1', '+5', '0x10', '18446744073709551621', '', ' ', '5 5', '00000000000000000000001', '1e3', '4294967296'];
const INJECTED = [
  'Transfer-Encoding: chunked', 'Transfer-Encoding: xchunked', 'Transfer-Encoding: chunked, identity', 'Content-Length: 10',
  'Content-Length: -1', 'Content-Length: 0', 'Host: evil.example', 'Expect: 100-continue', 'Connection: close',
  'Connection: Upgrade\r\nUpgrade: websocket', 'Trailer: Host', ' folded', 'Transfer-Encoding : chunked',
];

/** Line starts (offsets just after a CRLF, and 0) in `bytes`. */
function lineStarts(bytes: Buffer): number[] {
  const out = [0];
  for (let at = bytes.indexOf('\r\n'); at !== -1; at = bytes.indexOf('\r\n', at + 2)) out.push(at + 2);
  return out;
}

function insert(bytes: Buffer, at: number, what: Buffer | string): Buffer {
  return Buffer.concat([bytes.subarray(0, at), typeof what === 'string' ? Buffer.from(what, 'latin1') : what, bytes.subarray(at)]);
}

/** One mutation of `bytes`, and its name. */
function mutate(random: Random, bytes: Buffer): [string, Buffer] {
  const at = () => random.int(bytes.length + 1);
  switch (random.int(11)) {
    case 0: {
      const out = Buffer.from(bytes);
      if (out.length > 0) out[random.int(out.length)] = random.int(256);
      return ['flip', out];
    }
    case 1: {
      const special = random.pick(SPECIALS);
      return [`insert ${JSON.stringify(special)}`, insert(bytes, at(), special)];
    }
    case 2: {
      const from = at();
      return ['delete', Buffer.concat([bytes.subarray(0, from), bytes.subarray(from + 1 + random.int(20))])];
    }
    case 3:
      return ['truncate', bytes.subarray(0, at())];
    case 4: {
      const starts = lineStarts(bytes);
      const i = random.int(starts.length - 1);
      return ['duplicate a line', insert(bytes, starts[i]!, bytes.subarray(starts[i]!, starts[i + 1]))];
    }
    case 5: {
      const starts = lineStarts(bytes);
      const i = random.int(starts.length - 1);
      return ['drop a line', Buffer.concat([bytes.subarray(0, starts[i]), bytes.subarray(starts[i + 1]!)])];
    }
    case 6: {
      const starts = lineStarts(bytes);
      if (starts.length < 3) return ['swap (none)', bytes];
      const i = random.int(starts.length - 2);
      const first = bytes.subarray(starts[i]!, starts[i + 1]);
      const second = bytes.subarray(starts[i + 1]!, starts[i + 2]);
      return ['swap two lines', Buffer.concat([bytes.subarray(0, starts[i]), second, first, bytes.subarray(starts[i + 2]!)])];
    }
    case 7:
      return ['huge value', insert(bytes, at(), 'v'.repeat(random.int(HUGE)))];
    case 8: {
      const s = bytes.toString('latin1');
      const digits = [...s.matchAll(/\d+/g)];
      if (digits.length === 0) return ['number (none)', bytes];
      const m = random.pick(digits);
      const number = random.pick(NUMBERS);
      return [`number ${JSON.stringify(number)}`, Buffer.from(s.slice(0, m.index) + number + s.slice(m.index! + m[0].length), 'latin1')];
    }
    case 9: {
      const line = random.pick(INJECTED);
      const starts = lineStarts(bytes);
      return [`inject ${JSON.stringify(line)}`, insert(bytes, starts[1 + random.int(Math.max(1, starts.length - 1))] ?? 0, line + '\r\n')];
    }
    default: {
      const [, other] = validRequest(random);
      return ['splice', Buffer.concat([bytes.subarray(0, at()), other.subarray(random.int(other.length + 1))])];
    }
  }
}

/** Input number `n`: garbage, a valid request, or a valid request mutated one to four times. */
export function fuzzInput(random: Random, n: number): FuzzInput {
  let kind: string;
  let bytes: Buffer;
  if (random.chance(0.05)) {
    kind = 'garbage';
    bytes = randomBytes(random, random.int(300));
  } else {
    [kind, bytes] = validRequest(random);
    const mutations = random.chance(0.15) ? 0 : 1 + random.int(4);
    for (let i = 0; i < mutations; i++) {
      const [name, out] = mutate(random, bytes);
      kind += `, ${name}`;
      bytes = out;
    }
  }
  const cuts: number[] = [];
  if (random.chance(0.3)) for (let i = 1 + random.int(3); i > 0; i--) cuts.push(random.int(bytes.length + 1));
  cuts.sort((a, b) => a - b);
  const roll = random.int(100);
  return { n, bytes, kind, cuts, ending: roll < 2 ? 'silent' : roll < 30 ? 'half-close' : 'sentinel' };
}

/** What one connection came to. */
export interface Outcome {
  /** The status of every response, in order (interim 100 included). */
  statuses: number[];
  /** The connection ended with a reset (or EPIPE): a response may have been cut by it. */
  reset: boolean;
  /** The client had to end its side before the server ended the connection (it was waiting for more). */
  waitedForClient: boolean;
  /** A `sentinel` client's own request was answered (the framing held after the fuzzed bytes). */
  sentinelAnswered: boolean;
  /** Something that must not happen: no end in time, or bytes that are not HTTP responses. */
  problem?: string;
}

export interface CaseOptions {
  /** How long a connection may take to end once the client is done (default 10 s). */
  endMs?: number;
  /** How long a silent client waits for the server before ending its side (default 3.5 s: past a 2 s keep-alive). */
  silentMs?: number;
  /** How long a sentinel client lets the server stay quiet before ending its side (default 0.5 s). */
  quietMs?: number;
}

/** Waits until the client's connection ends, or nothing more arrived for `quietMs`; true if it ended. */
async function endedOrQuiet(client: RawClient, quietMs: number): Promise<boolean> {
  let seen = -1;
  let quietSince = Date.now();
  for (;;) {
    if (await client.waitEnded(50)) return true;
    if (client.pending.length !== seen) {
      seen = client.pending.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return false;
    }
  }
}

/** Sends one input on a new connection and says what came back. */
export async function runCase(port: number, input: FuzzInput, options: CaseOptions = {}): Promise<Outcome> {
  const endMs = options.endMs ?? 10_000;
  let client: RawClient;
  try {
    client = await RawClient.connect(port);
  } catch (err) {
    return { statuses: [], reset: false, waitedForClient: false, sentinelAnswered: false, problem: `could not connect: ${(err as Error).message}` };
  }
  try {
    let from = 0;
    for (const cut of [...input.cuts, input.bytes.length]) {
      if (client.ended) break;
      if (cut > from) client.write(input.bytes.subarray(from, cut));
      from = Math.max(from, cut);
      if (cut < input.bytes.length) await sleep(1);
    }
    let waitedForClient = false;
    if (input.ending === 'half-close') {
      client.socket.end();
    } else {
      if (input.ending === 'sentinel' && !client.ended) client.write(SENTINEL);
      const ended = input.ending === 'sentinel'
        ? await endedOrQuiet(client, options.quietMs ?? 500)
        : await client.waitEnded(options.silentMs ?? 3_500);
      if (!ended) {
        waitedForClient = true;
        client.socket.end();
      }
    }
    const ended = await client.waitEnded(endMs);
    const code = (client.error as NodeJS.ErrnoException | undefined)?.code;
    const reset = code === 'ECONNRESET' || code === 'EPIPE';
    const outcome: Outcome = { statuses: [], reset, waitedForClient, sentinelAnswered: false };
    if (!ended) {
      outcome.problem = `the connection did not end within ${endMs / 1000} s of the client's end`;
      return outcome;
    }
    let rest = client.pending;
    while (rest.length > 0) {
      let parsed: ReturnType<typeof parseResponse>;
      try {
        parsed = parseResponse(rest, { eof: true });
      } catch (err) {
        outcome.problem = `not an HTTP response: ${(err as Error).message}`;
        break;
      }
      if (parsed === null) {
        if (!reset) outcome.problem = `a response head cut short: ${JSON.stringify(rest.subarray(0, 200).toString('latin1'))}`;
        break;
      }
      if (!parsed.response.complete && !reset) outcome.problem = `a response body cut short (${parsed.response.statusCode})`;
      outcome.statuses.push(parsed.response.statusCode);
      if (input.ending === 'sentinel' && parsed.response.statusCode === 200 && parsed.response.complete) {
        try {
          if (json<Echo>(parsed.response.body).path === '/fuzz-sentinel') outcome.sentinelAnswered = true;
        } catch { /* another request's response */ }
      }
      rest = rest.subarray(parsed.consumed);
    }
    return outcome;
  } finally {
    client.close();
  }
}

/** A normal request, answered 200 by the echo app with its path; undefined if so, else what went wrong. */
export async function probe(url: string, n: number): Promise<string | undefined> {
  try {
    const r = await httpRequest(`${url}/probe-${n}`, { timeoutMs: 10_000 });
    if (r.status !== 200) return `a normal request after case ${n} got ${r.status}`;
    const path = json<Echo>(r.body).path;
    return path === `/probe-${n}` ? undefined : `a normal request after case ${n} was answered for ${path}`;
  } catch (err) {
    return `a normal request after case ${n} failed: ${(err as Error).message}`;
  }
}

export interface FuzzOptions {
  port: number;
  /** http://127.0.0.1:PORT, for the normal requests. */
  url: string;
  seed: number;
  cases: number;
  /** Connections at once. */
  parallel: number;
  /** A normal request after every this many cases. */
  probeEvery: number;
  /** A safety stop: no case starts after this much time (ms). Not an assertion. */
  capMs: number;
  /** Called after each case (progress). */
  onCase?: (input: FuzzInput, outcome: Outcome) => void;
}

export interface FuzzReport {
  seed: number;
  /** Cases sent (fewer than asked if the cap stopped the run). */
  ran: number;
  stoppedByCap: boolean;
  elapsedMs: number;
  /** Connections by their first final status (`close` when they ended without one). */
  firstStatus: Map<string, number>;
  /** Every response's status, counted. */
  statuses: Map<number, number>;
  resets: number;
  waitedForClient: number;
  /** Connections whose sentinel request was answered, of those that sent one. */
  sentinels: { sent: number; answered: number };
  probes: number;
  /** Cases that broke something, and normal requests that failed. */
  problems: string[];
}

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** How an input is shown in a report: its number, what it was made of, its first bytes. */
export function describeInput(input: FuzzInput): string {
  const shown = input.bytes.subarray(0, 300).toString('latin1');
  return `case ${input.n} (${input.kind}; ${input.bytes.length} bytes, ${input.ending}): ${JSON.stringify(shown)}${input.bytes.length > 300 ? '...' : ''}`;
}

/** Runs `cases` inputs from `seed` against the server at `port`. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const random = generator(options.seed);
  const report: FuzzReport = {
    seed: options.seed, ran: 0, stoppedByCap: false, elapsedMs: 0, firstStatus: new Map(), statuses: new Map(),
    resets: 0, waitedForClient: 0, sentinels: { sent: 0, answered: 0 }, probes: 0, problems: [],
  };
  const start = Date.now();
  let next = 0;
  const connection = async () => {
    while (next < options.cases) {
      if (Date.now() - start > options.capMs) {
        report.stoppedByCap = true;
        return;
      }
      const input = fuzzInput(random, next++);
      const outcome = await runCase(options.port, input);
      report.ran++;
      const final = outcome.statuses.find((s) => s >= 200);
      count(report.firstStatus, final === undefined ? 'close' : String(final));
      for (const s of outcome.statuses) count(report.statuses, s);
      if (outcome.reset) report.resets++;
      if (outcome.waitedForClient) report.waitedForClient++;
      if (input.ending === 'sentinel') report.sentinels.sent++;
      if (outcome.sentinelAnswered) report.sentinels.answered++;
      if (outcome.problem) report.problems.push(`${describeInput(input)}: ${outcome.problem}`);
      options.onCase?.(input, outcome);
      if ((input.n + 1) % options.probeEvery === 0) {
        report.probes++;
        const problem = await probe(options.url, input.n);
        if (problem) report.problems.push(problem);
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, connection));
  report.elapsedMs = Date.now() - start;
  return report;
}

/** The report as a few lines of text. */
export function formatReport(report: FuzzReport): string {
  const sorted = <K>(m: Map<K, number>) => [...m].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([k, v]) => `${k}: ${v}`).join(', ');
  const seconds = report.elapsedMs / 1000;
  return [
    `seed ${report.seed}: ${report.ran} cases in ${seconds.toFixed(1)} s (${(report.ran / seconds).toFixed(0)} cases/s)` +
      (report.stoppedByCap ? ', stopped by the time cap' : ''),
    `first final status per connection: ${sorted(report.firstStatus)}`,
    `every response: ${sorted(report.statuses)}`,
    `sentinel requests answered: ${report.sentinels.answered} of ${report.sentinels.sent}; clients that had to end first: ${report.waitedForClient}; ` +
      `resets: ${report.resets}; normal requests: ${report.probes}`,
    `problems: ${report.problems.length}`,
    ...report.problems.map((p) => `  ${p}`),
  ].join('\n');
}
