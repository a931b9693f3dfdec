// The HTTP/2 front's streams, in process: a real H2Front, the router and the dispatcher, and a fake
// carrier in place of a worker (helpers/h2-front.ts), so that the test plays the worker's side and
// sees every frame the master sends it. Flow control both ways through the credit scheme, a client
// reset that cancels the request, a response cut short (RST_STREAM), HEAD, 100-continue, the
// fields HTTP/2 forbids in a response, and a stream whose body never comes.
import assert from 'node:assert/strict';
import type http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import type { Exchange } from '../src/router/exchange.ts';
import { h2Connect, h2Request, startInProcessFront, type InProcessFront } from './helpers/h2-front.ts';
import { findExecutable } from './helpers/peers.ts';
import { needOpenssl } from './helpers/tls-client.ts';
import { waitFor } from './helpers/wire.ts';

const KiB = 1024;

describe("the HTTP/2 front's streams", () => {
  let front: InProcessFront;
  let session: http2.ClientHttp2Session;
  /** Without openssl there is no certificate: each test skips (fails in CI), saying so. */
  const ready = findExecutable('openssl') !== undefined;
  before(async () => {
    if (!ready) return;
    front = await startInProcessFront({ streamTimeoutMs: 500 });
    session = await h2Connect(front.port);
  });
  after(async () => {
    if (!ready) return;
    session.close();
    await front.close();
  });

  /** Waits for the next request to reach the carrier: its id and exchange. */
  async function nextRequest(): Promise<{ id: number; exchange: Exchange }> {
    const n = front.carrier.assigned.length;
    await waitFor(() => front.carrier.assigned.length > n, 10_000, 'a request at the carrier');
    return front.carrier.assigned[n]!;
  }

  const sent = (id: number, type: string) => front.carrier.sentFor(id).filter((f) => f.type === type);

  it("passes the worker's response on, without the fields HTTP/2 forbids, with HTTP/2 as the protocol", async (t) => {
    if (needOpenssl(t) === undefined) return;
    const reply = h2Request(session, { ':path': '/fine?x=1', cookie: 'a=1' });
    const { id, exchange } = await nextRequest();
    assert.match(exchange.environ, /\x00SERVER_PROTOCOL\x00HTTP\/2\x00/);
    assert.match(exchange.environ, /\x00HTTP_HOST\x00127\.0\.0\.1:\d+\x00/);
    front.carrier.respond(id, '200 OK', ['Content-Type', 'text/plain', 'Connection', 'keep-alive', 'Transfer-Encoding', 'chunked',
      'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'], 'hello');
    const { status, headers, body, rstCode } = await reply;
    assert.deepEqual({ status, body: body.toString(), rstCode }, { status: 200, body: 'hello', rstCode: 0 });
    assert.equal(headers.connection, undefined);
    assert.equal(headers['transfer-encoding'], undefined);
    assert.deepEqual(headers['set-cookie'], ['a=1', 'b=2']);
  });

  it('drops the body of a response to HEAD', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const reply = h2Request(session, { ':method': 'HEAD', ':path': '/head' });
    const { id } = await nextRequest();
    front.carrier.respond(id, '200 OK', ['Content-Length', '5'], 'hello');
    const { status, headers, body, rstCode } = await reply;
    assert.deepEqual({ status, length: headers['content-length'], body: body.length, rstCode }, { status: 200, length: '5', body: 0, rstCode: 0 });
  });

  it('gives the worker no response credit while the client takes nothing, and all of it once the client reads', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const stream = session.request({ ':path': '/download' });
    stream.pause();
    let received = 0;
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    const { id } = await nextRequest();
    front.carrier.head(id, '200 OK', ['Content-Type', 'application/octet-stream']);
    // 20 chunks of 32 KiB: far more than the client's 64 KiB window and the stream's buffer
    for (let i = 0; i < 20; i++) front.carrier.body(id, Buffer.alloc(32 * KiB, 'x'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(sent(id, 'credit'), [], 'no credit while the client\'s window is closed');
    stream.on('data', (chunk: Buffer) => { received += chunk.length; });
    stream.resume();
    await waitFor(() => sent(id, 'credit').length > 0, 10_000, 'credit once the client reads');
    const credited = sent(id, 'credit').reduce((sum, f) => sum + ('bytes' in f ? f.bytes : 0), 0);
    assert.equal(credited, 20 * 32 * KiB);
    front.carrier.end(id);
    await ended;
    assert.equal(received, 20 * 32 * KiB);
  });

  it('passes the request body on within the credit the worker gives, the rest held back by the h2 window', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const stream = session.request({ ':method': 'POST', ':path': '/upload' });
    stream.on('error', () => {});
    const total = 3 * 1024 * KiB;
    let written = 0;
    const chunk = Buffer.alloc(64 * KiB, 'y');
    const writeMore = () => {
      while (written < total) {
        written += chunk.length;
        if (!stream.write(chunk)) {
          stream.once('drain', writeMore);
          return;
        }
      }
      stream.end();
    };
    writeMore();
    const { id } = await nextRequest();
    const bodyBytes = () => sent(id, 'body').reduce((sum, f) => sum + ('bytes' in f ? f.bytes : 0), 0);
    await waitFor(() => bodyBytes() >= 1024 * KiB, 10_000, 'the first window of the body');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(bodyBytes(), 1024 * KiB, 'no more than the worker\'s credit');
    assert.ok(written < total, 'the client is held back');
    front.carrier.credit(id, 2 * 1024 * KiB);
    await waitFor(() => sent(id, 'body-end').length === 1, 10_000, 'the end of the body');
    assert.equal(bodyBytes(), total);
    const done = new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))));
    stream.resume();
    front.carrier.respond(id, '201 Created', [], '');
    assert.equal(await done, 201);
  });

  it('sends 100 Continue when the worker first asks for the body', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const stream = session.request({ ':method': 'POST', ':path': '/continue', expect: '100-continue' }, { endStream: false });
    stream.on('error', () => {});
    let continued = false;
    stream.on('continue', () => {
      continued = true;
      stream.end('body');
    });
    const { id } = await nextRequest();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(continued, false);
    front.carrier.credit(id, 1000);
    await waitFor(() => continued, 5000, '100 Continue');
    await waitFor(() => sent(id, 'body-end').length === 1, 5000, 'the body');
    front.carrier.respond(id, '200 OK', [], 'ok');
  });

  it('cancels the request when the client resets its stream', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const stream = session.request({ ':path': '/gone' });
    stream.on('error', () => {});
    const { id } = await nextRequest();
    front.carrier.head(id, '200 OK', []);
    front.carrier.body(id, Buffer.from('partial'));
    stream.close(8 /* CANCEL */);
    await waitFor(() => sent(id, 'cancel').length === 1, 5000, 'the cancel frame');
    front.carrier.end(id); // the worker's answer to the cancel, once the app's close() ran
  });

  it('resets the stream when the response breaks off after its head (the client sees it cut short)', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const reply = h2Request(session, { ':path': '/broken' });
    const { id } = await nextRequest();
    front.carrier.head(id, '200 OK', []);
    front.carrier.body(id, Buffer.from('half'));
    front.carrier.abort(id, 'the app raised');
    const { status, body, rstCode } = await reply;
    assert.deepEqual({ status, body: body.toString(), rstCode }, { status: 200, body: 'half', rstCode: 2 /* INTERNAL_ERROR */ });
  });

  it('resets a stream whose body never comes, and cancels its request', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const stream = session.request({ ':method': 'POST', ':path': '/never', 'content-length': '10' }, { endStream: false });
    stream.on('error', () => {});
    const closed = new Promise<number>((resolve) => stream.on('close', () => resolve(stream.rstCode ?? 0)));
    const { id } = await nextRequest();
    assert.equal(await closed, 8 /* CANCEL */);
    await waitFor(() => sent(id, 'cancel').length === 1, 5000, 'the cancel frame');
    front.carrier.end(id);
  });

  it('does not time out a stream whose app is slow', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const reply = h2Request(session, { ':path': '/slow' });
    const { id } = await nextRequest();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    front.carrier.respond(id, '200 OK', [], 'late');
    const { status, body, rstCode } = await reply;
    assert.deepEqual({ status, body: body.toString(), rstCode }, { status: 200, body: 'late', rstCode: 0 });
  });

  it('answers 431 to more header fields than http-max-headers', async (t) => {
    if (needOpenssl(t) === undefined) return;
    const many: Record<string, string> = {};
    for (let i = 0; i < 101; i++) many[`x-${i}`] = 'v';
    const { status } = await h2Request(session, { ':path': '/many', ...many });
    assert.equal(status, 431);
  });
});
