// Random and mutated uwsgi packets against a real nuwsgi, over TCP and a unix socket: the master
// never crashes, every connection is closed by the server (within the socket timeout), and good
// requests are still served afterwards. Bounded: a fixed number of packets from a seeded generator.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { json, stopServer, tempDir, type Echo } from './helpers/wire.ts';
import { encodePacket, exchange, nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';

const PACKETS = 2000;
const PARALLEL = 32;

/** A small deterministic generator (so that a failure can be replayed). */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x1_0000_0000;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
  };
}

type Random = ReturnType<typeof generator>;

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = random.int(256);
  return out;
}

function validRequest(random: Random): Buffer {
  const bodyLength = random.chance(0.5) ? 0 : random.int(300);
  const headers: Array<[string, string]> = [['Host', 'fuzz']];
  for (let i = random.int(6); i > 0; i--) headers.push([`X-H${i}`, 'v'.repeat(random.int(50))]);
  const vars = nginxVars({ method: bodyLength > 0 ? 'POST' : 'GET', uri: `/fuzz/${random.int(1000)}`, contentLength: bodyLength, headers });
  return Buffer.concat([encodePacket(vars), randomBytes(random, bodyLength)]);
}

/** One input: random bytes, or a valid request mutated in one of several ways. */
function fuzzInput(random: Random): Buffer {
  switch (random.int(6)) {
    case 0: {
      const bytes = randomBytes(random, random.int(200));
      if (bytes.length > 0 && random.chance(0.7)) bytes[0] = 0;
      return bytes;
    }
    case 1: { // flipped bytes
      const bytes = validRequest(random);
      for (let k = 1 + random.int(4); k > 0; k--) bytes[random.int(bytes.length)] = random.int(256);
      return bytes;
    }
    case 2: { // cut short
      const bytes = validRequest(random);
      return bytes.subarray(0, random.int(bytes.length));
    }
    case 3: { // a lying datasize
      const bytes = validRequest(random);
      bytes.writeUInt16LE(random.int(65536), 1);
      return bytes;
    }
    case 4: { // a lying var length inside the block
      const bytes = validRequest(random);
      const at = 4 + random.int(Math.max(1, bytes.readUInt16LE(1) - 2));
      bytes.writeUInt16LE(random.int(65536), at);
      return bytes;
    }
    default: // garbage appended after a valid request
      return Buffer.concat([validRequest(random), randomBytes(random, random.int(100))]);
  }
}

describe('uwsgi fuzzing', () => {
  const dir = tempDir();
  let server: RunningServer;
  let targets: UwsgiTarget[];

  before(async () => {
    const socketPath = path.join(dir, 'fuzz.sock');
    server = await startServer(['--socket', '127.0.0.1:0', '--socket', socketPath, '--wsgi-file', path.join(fixtureApps, 'echo.py'),
      '-p', '2', '-z', '2', '--disable-logging']);
    targets = [uwsgiTarget(server), { path: socketPath }];
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`survives ${PACKETS} random and mutated packets, closing every connection`, { timeout: 180_000 }, async () => {
    const random = generator(20240611);
    const inputs = Array.from({ length: PACKETS }, () => fuzzInput(random));
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < inputs.length) {
        const n = next++;
        try {
          // most peers stop sending after their bytes; every 20th keeps the connection open and
          // silent, so that only the socket timeout can end it
          await exchange(targets[n % 2]!, [inputs[n]!], { halfClose: n % 20 !== 0, timeoutMs: 10_000 });
        } catch (err) {
          failures.push(`input #${n} (${inputs[n]!.subarray(0, 40).toString('hex')}...): ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    assert.deepEqual(failures, []);
    assert.equal(server.proc.exitCode, null, 'the master is still running');
    assert.doesNotMatch(server.output(), /internal error|Unhandled|TypeError|RangeError/);
  });

  it('serves good requests afterwards on both sockets', async () => {
    for (const target of targets) {
      const r = await uwsgiRequest(target, nginxVars({ method: 'POST', uri: '/after-fuzz', contentLength: 4 }), 'good');
      assert.equal(r.statusCode, 200);
      assert.equal(json<Echo>(r.body).body, 'good');
    }
  });
});
