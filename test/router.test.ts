// The router, in process with a real dispatcher and a fake carrier: limit-post refusing a declared
// body before the dispatcher, post-buffering receiving the body before dispatch, the observers of
// finished requests (exchanges and REQUEST_DONE records from the workers), and whenIdle().
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { FLAG_EXPECT_CONTINUE } from '../src/channel/frames.ts';
import type { ServedRequest } from '../src/channel/records.ts';
import { ANSWERS } from '../src/listeners/answers.ts';
import { Dispatcher } from '../src/router/dispatcher.ts';
import { Router, type FinishedRequest, type RoutingLimits } from '../src/router/router.ts';
import { hasSettled, nextTurn, until } from './helpers/event-loop.ts';
import { FakeCarrier } from './helpers/fake-carrier.ts';
import { FakeWriter } from './helpers/fake-writer.ts';
import { parsedRequest } from './helpers/parsed-request.ts';

/** A router over a dispatcher with one fake carrier of four cores, and every finished request it reports. */
function setUp(limits: Partial<RoutingLimits> = {}) {
  const carrier = new FakeCarrier(1000, 4);
  const dispatcher = new Dispatcher();
  dispatcher.addWorker(carrier);
  const router = new Router(dispatcher, { limitPost: 0, postBuffering: 0, ...limits });
  const finished: FinishedRequest[] = [];
  router.observe((request) => finished.push(request));
  return { carrier, dispatcher, router, finished };
}

/** A POST declaring a body of `bodyLength` bytes (-1: chunked); the test writes the body to `stream`. */
function post(router: Router, bodyLength: number, expectContinue = false) {
  const writer = new FakeWriter();
  const stream = new PassThrough();
  router.handle(parsedRequest({ method: 'POST', uri: '/upload', bodyLength, expectContinue }), writer, stream);
  return { writer, stream };
}

/** Resolves once `carrier` holds `n` requests. */
function assigned(carrier: FakeCarrier, n: number): Promise<void> {
  return until(() => carrier.assigned.length >= n, `the carrier never got request ${n}`);
}

const SERVED: ServedRequest = {
  status: 201, core: 3, headerCount: 2, varCount: 30, headerBytes: 45, varBytes: 600,
  bodyBytes: 1234, startedMs: 1_700_000_000_123, micros: 4567,
  remoteAddr: '10.1.2.3', method: 'PUT', uri: '/thing?x=1', protocol: 'HTTP/1.0',
};

/** A REQUEST_DONE payload (docs/channel.md): four u16, two u32, three f64, little-endian, then four NUL-separated strings. */
function requestDone(r: ServedRequest): Buffer {
  const numbers = Buffer.alloc(40);
  numbers.writeUInt16LE(r.status, 0);
  numbers.writeUInt16LE(r.core, 2);
  numbers.writeUInt16LE(r.headerCount, 4);
  numbers.writeUInt16LE(r.varCount, 6);
  numbers.writeUInt32LE(r.headerBytes, 8);
  numbers.writeUInt32LE(r.varBytes, 12);
  numbers.writeDoubleLE(r.bodyBytes, 16);
  numbers.writeDoubleLE(r.startedMs, 24);
  numbers.writeDoubleLE(r.micros, 32);
  return Buffer.concat([numbers, Buffer.from([r.remoteAddr, r.method, r.uri, r.protocol].join('\0'), 'latin1')]);
}

describe('limit-post', () => {
  it('answers 413 to a body declared too large, without the dispatcher', () => {
    const { carrier, dispatcher, router, finished } = setUp({ limitPost: 100 });
    const { writer } = post(router, 101);
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.bodyTooLarge, more: [] }]);
    assert.deepEqual(carrier.assigned, []);
    assert.equal(dispatcher.queued, 0);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]!.server, null, 'the master answered it alone');
    assert.equal(finished[0]!.details()?.status, 413);
  });

  it('lets a body of exactly the limit through', () => {
    const { carrier, router } = setUp({ limitPost: 100 });
    post(router, 100);
    assert.equal(carrier.assigned.length, 1);
  });

  it('leaves a chunked body to the exchange, which stops it once it grows past the limit', async () => {
    const { carrier, router } = setUp({ limitPost: 100 });
    const { stream, writer } = post(router, -1);
    assert.equal(carrier.assigned.length, 1);
    stream.write('x'.repeat(101));
    await nextTurn();
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.bodyTooLarge, more: [] }]);
  });
});

describe('post-buffering', () => {
  it('receives the whole body before the request goes to a worker', async () => {
    const { carrier, router } = setUp({ postBuffering: 1024 });
    const { stream } = post(router, 11);
    stream.write('hello ');
    await nextTurn();
    assert.deepEqual(carrier.assigned, [], 'not while the body is coming');
    stream.end('world');
    await assigned(carrier, 1);
    const { id } = carrier.assigned[0]!;
    await nextTurn();
    const sent = carrier.sentFor(id);
    assert.deepEqual(sent.at(-1), { type: 'body-end', id, flags: 0 });
    assert.equal(sent.reduce((n, frame) => n + (frame.type === 'body' ? frame.bytes : 0), 0), 11, 'the whole body goes to the worker');
  });

  it('tells a client waiting for 100 Continue to send its body at once', async () => {
    const { carrier, router } = setUp({ postBuffering: 1024 });
    const { stream, writer } = post(router, 5, true);
    assert.deepEqual(writer.calls, [{ call: 'continue' }]);
    stream.end('hello');
    await assigned(carrier, 1);
    assert.equal(carrier.assigned[0]!.exchange.flags & FLAG_EXPECT_CONTINUE, 0, 'the worker is not asked to wait for 100 Continue');
  });

  it('answers 413 to a chunked body that grows past limit-post while it is received', async () => {
    const { carrier, router, finished } = setUp({ postBuffering: 1024, limitPost: 10 });
    const { stream, writer } = post(router, -1);
    stream.end('x'.repeat(11));
    await until(() => finished.length > 0, 'the request never finished');
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.bodyTooLarge, more: [] }]);
    assert.deepEqual(carrier.assigned, []);
  });

  it('does not buffer a request without a body', () => {
    const { carrier, router } = setUp({ postBuffering: 1024 });
    router.handle(parsedRequest(), new FakeWriter(), null);
    assert.equal(carrier.assigned.length, 1);
  });
});

describe('the observers of finished requests', () => {
  it('hear of every exchange that ends, with the total counting up', () => {
    const { carrier, router, finished } = setUp();
    for (let i = 0; i < 3; i++) router.handle(parsedRequest({ uri: `/${i}` }), new FakeWriter(), null);
    const second: FinishedRequest[] = [];
    router.observe((request) => second.push(request));
    for (const { id } of carrier.assigned) carrier.respond(id, '200 OK', [], 'ok');
    assert.deepEqual(finished.map((r) => r.total), [1, 2, 3]);
    assert.deepEqual(finished.map((r) => r.details()?.uri), ['/0', '/1', '/2']);
    assert.ok(finished.every((r) => r.server === carrier), 'served by the carrier');
    assert.equal(second.length, 3, 'a later observer hears of the requests that end after it came');
    assert.equal(router.total, 3);
  });

  it('hear of requests the workers served themselves (REQUEST_DONE), counted with the rest', () => {
    const { carrier, router, finished } = setUp();
    router.handle(parsedRequest(), new FakeWriter(), null);
    carrier.respond(carrier.assigned[0]!.id, '200 OK', [], '');
    const server = { slot: 2, pid: 4242, requestsServed: 7 };
    router.served(server, requestDone(SERVED));
    assert.equal(finished.length, 2);
    assert.equal(finished[1]!.server, server);
    assert.equal(finished[1]!.total, 2);
    assert.deepEqual(finished[1]!.details(), SERVED);
  });

  it('decode a REQUEST_DONE record only when one asks, and once', (t: TestContext) => {
    const { router, finished } = setUp();
    const record = requestDone(SERVED);
    const read = t.mock.method(record, 'toString');
    router.served({ slot: 1, pid: 1, requestsServed: 1 }, record);
    assert.equal(read.mock.callCount(), 0, 'served() does not read the record');
    const details = finished[0]!.details();
    assert.equal(details?.uri, SERVED.uri);
    assert.equal(finished[0]!.details(), details, 'the same object again');
    assert.equal(read.mock.callCount(), 1);
  });

  it('get undefined details for a record that cannot be read, and the request still counts', () => {
    const { router, finished } = setUp();
    router.served({ slot: 1, pid: 1, requestsServed: 1 }, Buffer.alloc(12));
    assert.equal(finished[0]!.details(), undefined);
    assert.equal(router.total, 1);
  });

  it('are not needed for counting', () => {
    const router = new Router(new Dispatcher(), { limitPost: 0, postBuffering: 0 });
    router.served({ slot: 1, pid: 1, requestsServed: 1 }, requestDone(SERVED));
    assert.equal(router.total, 1);
  });
});

describe('whenIdle()', () => {
  it('waits for a body being buffered, then for the request it becomes', async () => {
    const { carrier, dispatcher, router } = setUp({ postBuffering: 1024 });
    const { stream } = post(router, 5);
    const idle = router.whenIdle();
    assert.equal(await hasSettled(dispatcher.whenIdle()), true, 'the dispatcher has nothing yet');
    assert.equal(await hasSettled(idle), false, 'the router has a body being buffered');
    stream.end('hello');
    await assigned(carrier, 1);
    assert.equal(await hasSettled(idle), false, 'the request is in flight');
    carrier.respond(carrier.assigned[0]!.id, '200 OK', [], '');
    assert.equal(await hasSettled(idle), true);
  });
});
