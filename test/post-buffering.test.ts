// --post-buffering N: the master receives the whole request body before the app is called, in
// memory up to N bytes, else in a temporary file in TMPDIR that is unlinked at once and closed when
// the request ends, whichever way it ends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { RawClient, connectionHas, httpRequest, json, sha256, sleep, stopServer, tempDir, waitFor } from './helpers/wire.ts';
import { RENDEZVOUS_PREFIX } from '../src/master/fork-rendezvous.ts';

const gatedApp = path.join(fixtureApps, 'gated.py');

interface Gated { id: string; started: number; bytes: number; sha256: string }

describe('--post-buffering 4096 (--limit-post 2000000)', () => {
  let server: RunningServer;
  let dir: string;
  let tmp: string;
  before(async () => {
    dir = tempDir();
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    server = await startServer(['--http', '127.0.0.1:0', '--socket', '127.0.0.1:0', '--wsgi-file', gatedApp,
      '--post-buffering', '4096', '--limit-post', '2000000'], { env: { TMPDIR: tmp } });
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The master's open descriptors on files in its TMPDIR (spilled bodies, unlinked: "(deleted)"). */
  function openTempFiles(): string[] {
    const fdDir = `/proc/${server.pid}/fd`;
    const targets: string[] = [];
    for (const fd of fs.readdirSync(fdDir)) {
      try {
        targets.push(fs.readlinkSync(path.join(fdDir, fd)));
      } catch {
        // closed meanwhile
      }
    }
    return targets.filter((t) => t.startsWith(tmp + path.sep));
  }

  // what is in TMPDIR but the master's socket directory for the workers it forks (fork-rendezvous.ts)
  const tmpEntries = () => fs.readdirSync(tmp).filter((name) => !name.startsWith(RENDEZVOUS_PREFIX));
  const noTempFiles = () => waitFor(() => openTempFiles().length === 0 && tmpEntries().length === 0, 5_000,
    'the temporary file to be closed and gone');

  it('calls the app only once the last byte of a slow upload has arrived', async () => {
    const body = Buffer.alloc(200_000, 'a');
    const c = await RawClient.connect(server.port);
    try {
      c.write(`POST /?id=slow-upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
      c.write(body.subarray(0, 100_000));
      await sleep(300);
      assert.equal(server.output().includes('gated request slow-upload started'), false, 'the app started before the end of the body');
      const lastByteSent = Date.now();
      c.write(body.subarray(100_000));
      const r = await c.readResponse();
      assert.equal(r.statusCode, 200, r.headText);
      const got = json<Gated>(r.body);
      assert.equal(got.bytes, body.length);
      assert.equal(got.sha256, sha256(body));
      assert.ok(got.started * 1000 >= lastByteSent, `the app started at ${got.started * 1000}, the last byte was sent at ${lastByteSent}`);
    } finally {
      c.close();
    }
    await noTempFiles();
  });

  it('keeps a small body in memory and spills a large one to an unlinked temporary file, closed after the response', async () => {
    const gate = path.join(dir, 'open-spill');
    const small = httpRequest(`${server.url}/?id=small&gate=${encodeURIComponent(gate)}`, { method: 'POST', body: Buffer.alloc(4096, 's') });
    await server.waitForOutput(/gated request small started/);
    assert.deepEqual(openTempFiles(), []);
    fs.writeFileSync(gate, '');
    assert.equal(json<Gated>((await small).body).bytes, 4096);

    const gate2 = path.join(dir, 'open-spill-2');
    // larger than the worker's request body window (1 MiB), so that the master still holds the
    // rest in its file while the app waits at the gate, however fast the first 1 MiB went out
    const body = Buffer.alloc(1_500_000, 'l');
    const large = httpRequest(`${server.url}/?id=large&gate=${encodeURIComponent(gate2)}`, { method: 'POST', body });
    await server.waitForOutput(/gated request large started/);
    const open = openTempFiles();
    assert.equal(open.length, 1, open.join('\n'));
    assert.match(open[0]!, /nuwsgi-body-\d+-\d+ \(deleted\)$/);
    assert.deepEqual(tmpEntries(), []);
    fs.writeFileSync(gate2, '');
    const r = await large;
    assert.equal(r.status, 200);
    assert.equal(json<Gated>(r.body).sha256, sha256(body));
    await noTempFiles();
  });

  it('closes the temporary file when the client goes away mid-upload, without calling the app', async () => {
    const c = await RawClient.connect(server.port);
    c.write('POST /?id=gone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n');
    c.write(Buffer.alloc(500_000, 'g'));
    await waitFor(() => openTempFiles().length === 1, 5_000, 'the body to spill to a file');
    c.close();
    await noTempFiles();
    assert.equal(server.output().includes('gated request gone started'), false, 'the app was called');
  });

  it('closes the temporary file when the worker dies', async () => {
    const mark = server.output().length;
    const r = await httpRequest(`${server.url}/?id=dies&exit=1`, { method: 'POST', body: Buffer.alloc(300_000, 'd') });
    assert.equal(r.status, 502);
    await noTempFiles();
    await waitFor(() => /worker 1 .*ready/.test(server.output().slice(mark)), 10_000, 'the worker to be respawned');
  });

  it('answers 413 to a chunked body that grows past limit-post while it is received', async () => {
    const c = await RawClient.connect(server.port);
    try {
      c.write('POST /?id=chunked-big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'c'), Buffer.from('\r\n')]);
      for (let i = 0; i < 31 && !c.ended && c.pending.length === 0; i++) {
        c.write(chunk);
        await sleep(5);
      }
      const r = await c.readResponse();
      assert.equal(r.statusCode, 413, r.headText);
      assert.equal(connectionHas(r, 'close'), true);
    } finally {
      c.close();
    }
    await noTempFiles();
    assert.equal(server.output().includes('gated request chunked-big started'), false, 'the app was called');
  });

  it('buffers uwsgi request bodies too', async () => {
    const body = Buffer.alloc(100_000, 'u');
    const r = await uwsgiRequest(uwsgiTarget(server), nginxVars({ method: 'POST', uri: '/?id=uwsgi', contentLength: body.length }), body);
    assert.equal(r.statusCode, 200, r.headText);
    assert.equal(json<Gated>(r.body).sha256, sha256(body));
    await noTempFiles();
  });
});

describe('--post-buffering with a TMPDIR that cannot be written', () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    dir = tempDir();
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', gatedApp, '--post-buffering', '1024'],
      { env: { TMPDIR: path.join(dir, 'missing') } });
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 500 to a body too large for memory and logs why; small bodies are still served', async () => {
    const mark = server.output().length;
    const r = await httpRequest(`${server.url}/?id=nowhere`, { method: 'POST', body: Buffer.alloc(10_000, 'n') });
    assert.equal(r.status, 500);
    await waitFor(() => /POST \/\?id=nowhere: post-buffering: cannot write the request body to a temporary file in .*missing.*: answered 500/
      .test(server.output().slice(mark)), 5_000, 'the log line');
    assert.equal(server.output().includes('gated request nowhere started'), false, 'the app was called');
    const small = await httpRequest(`${server.url}/?id=small`, { method: 'POST', body: Buffer.alloc(1000, 's') });
    assert.equal(small.status, 200);
  });
});
