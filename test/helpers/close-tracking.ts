// A server running test/fixtureapps/close_tracking.py, for the tests of PEP 3333's close(): the app
// writes `ID closed after N chunks` to a file when the server calls close() on its result. Call
// useCloseTracking() inside a describe(): it starts the server before the suite's tests and stops
// it after them, checking that wsgiref.validate saw no iterator left unclosed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './server.ts';
import { stopServer, tempDir, waitFor } from './wire.ts';

export function useCloseTracking(listener: string[]) {
  let server: RunningServer | undefined;
  let dir = '';
  let track = '';
  before(async () => {
    dir = tempDir();
    track = path.join(dir, 'closes.txt');
    server = await startServer([...listener, '--wsgi-file', path.join(fixtureApps, 'close_tracking.py'), '-p', '1']);
  });
  after(async () => {
    await stopServer(server);
    assert.equal(server?.output().includes('Iterator garbage collected without being closed'), false,
      'wsgiref.validate saw an iterator that was never closed');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const tracked = () => (fs.existsSync(track) ? fs.readFileSync(track, 'utf8') : '');
  return {
    server: () => server!,
    /** Everything tracked so far. */
    tracked,
    /** Resolves once close() of request `id` was tracked. */
    waitClosed: (id: string, timeoutMs = 10_000) =>
      waitFor(() => new RegExp(`^${id} closed after \\d+ chunks$`, 'm').test(tracked()), timeoutMs,
        `close() of request ${id}; tracked so far:\n${tracked()}`),
    /** The request target of request `id`, with more query parameters in `extra`. */
    q: (id: string, extra = '') => `/?track=${encodeURIComponent(track)}&id=${id}${extra}`,
  };
}
