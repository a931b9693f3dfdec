// PEP 3333: "If the iterable returned by the application has a close() method, the server or gateway
// must call that method upon completion of the current request, whether the request was completed
// normally, or terminated early due to an application error during iteration or an early
// disconnect of the browser."
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient, httpRequest, parseResponse, waitFor } from './helpers/wire.ts';
import { useCloseTracking } from './helpers/close-tracking.ts';

describe('close() of the response iterable (close_tracking app)', () => {
  const { server: running, tracked, waitClosed, q } = useCloseTracking(['--http', '127.0.0.1:0']);

  it('calls close() after a normal response', async () => {
    const r = await httpRequest(running().url + q('normal', '&chunks=3&size=10'));
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'x'.repeat(30));
    await waitClosed('normal');
    assert.match(tracked(), /^normal closed after 3 chunks$/m);
  });

  it('calls close() when the iterable raises on its first next()', async () => {
    const r = await httpRequest(running().url + q('first', '&fail_at=0'));
    assert.equal(r.status, 500);
    await waitClosed('first');
  });

  it('calls close() when the iterable raises after the head was sent', async () => {
    const c = await RawClient.connect(running().port);
    try {
      c.write(`GET ${q('midway', '&fail_at=1')} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const data = await c.readToEnd(10_000);
      const parsed = parseResponse(data, { eof: true });
      assert.ok(parsed, 'a head was sent');
      assert.equal(parsed.response.complete, false);
    } finally {
      c.close();
    }
    await waitClosed('midway');
    assert.match(tracked(), /^midway closed after 1 chunks$/m);
  });

  it('calls close() when the client disconnects in the middle of a long stream', async () => {
    const c = await RawClient.connect(running().port);
    try {
      // 100000 chunks of 1 KiB, 10 ms apart: about 17 minutes if nobody stops it.
      c.write(`GET ${q('gone', '&chunks=100000&size=1024&sleep=10')} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await c.waitForData(4096, 10_000);
    } finally {
      c.close();
    }
    await waitClosed('gone');
    // and the worker is free again
    const r = await httpRequest(running().url + q('after-gone'), { timeoutMs: 10_000 });
    assert.equal(r.status, 200);
  });

  it('calls close() when the client disconnects while the app is between two chunks', async () => {
    const c = await RawClient.connect(running().port);
    try {
      // the first chunk is sent at once; the second only after 3 s: disconnect in between.
      c.write(`GET ${q('early', '&chunks=2&size=10&sleep=3000')} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await waitFor(() => tracked().includes('early called'), 10_000, 'the app to be called');
    } finally {
      c.close();
    }
    await waitClosed('early');
  });

  it('calls close() for a HEAD request', async () => {
    const r = await httpRequest(running().url + q('head'), { method: 'HEAD' });
    assert.equal(r.status, 200);
    await waitClosed('head');
  });

  it('calls close() exactly once per request', async () => {
    await httpRequest(running().url + q('once'));
    await waitClosed('once');
    await httpRequest(running().url + q('once-marker'));
    await waitClosed('once-marker');
    const lines = tracked().split('\n').filter((l) => /^once closed/.test(l));
    assert.equal(lines.length, 1, tracked());
  });
});
