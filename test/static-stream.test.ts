// A static file too large for the master's cache is streamed from disk: a client that goes away in
// the middle of it leaves nothing behind (the master closes its descriptor of the file), and the
// next request is served.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, sha256, stopServer, tempDir, waitFor } from './helpers/wire.ts';

const SIZE = 32 * 1024 * 1024;

/** Whether process `pid` has `file` open. */
function holds(pid: number, file: string): boolean {
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file) return true;
    } catch {
      // closed while it was listed
    }
  }
  return false;
}

describe('a static file streamed from disk', () => {
  let dir: string;
  let file: string;
  let server: RunningServer;

  before(async () => {
    dir = fs.realpathSync(tempDir('nuwsgi-static-stream-'));
    fs.mkdirSync(path.join(dir, 'static'));
    file = path.join(dir, 'static', 'big.bin');
    fs.writeFileSync(file, Buffer.alloc(SIZE, 0x5a));
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'static_fallback.py'),
      '--static-map', `/static=${dir}/static`, '--static-cache-max-file', '1048576']);
  });
  after(async () => {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets go of the file when the client goes away mid-file, and serves the next request', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // stop reading after the first bytes: the rest waits in the master, the file open
      if (received > 64 * 1024) socket.pause();
    });
    socket.write('GET /static/big.bin HTTP/1.1\r\nHost: test\r\n\r\n');
    await waitFor(() => received > 0 && holds(server.pid, file), 10_000, 'the master sending the file');
    socket.destroy();
    await waitFor(() => !holds(server.pid, file), 10_000, 'the master closing the file');
    const r = await httpRequest(`${server.url}/static/big.bin`);
    assert.equal(r.status, 200);
    assert.equal(sha256(r.body), sha256(Buffer.alloc(SIZE, 0x5a)));
  });
});
