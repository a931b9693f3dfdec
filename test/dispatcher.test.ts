// The dispatcher, in process with fake carriers: which carrier a request goes to (a free core, the
// least busy, rotation among equals, pipelining), the FIFO queue when every core is busy and its
// --listen bound (503), removing a carrier, and whenIdle().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANSWERS } from '../src/listeners/answers.ts';
import { Dispatcher } from '../src/router/dispatcher.ts';
import { Exchange } from '../src/router/exchange.ts';
import { hasSettled } from './helpers/event-loop.ts';
import { FakeCarrier } from './helpers/fake-carrier.ts';
import { FakeWriter } from './helpers/fake-writer.ts';
import { parsedRequest } from './helpers/parsed-request.ts';

/** A bodiless request for `uri`, with the writer its answer would go out through. */
function request(uri: string): { exchange: Exchange; writer: FakeWriter } {
  const writer = new FakeWriter();
  const exchange = new Exchange(parsedRequest({ uri, path: uri }), writer, null, () => {});
  return { exchange, writer };
}

/** Dispatches a request for each of `uris`; returns their writers, by URI. */
function dispatchAll(dispatcher: Dispatcher, ...uris: string[]): Map<string, FakeWriter> {
  const writers = new Map<string, FakeWriter>();
  for (const uri of uris) {
    const { exchange, writer } = request(uri);
    dispatcher.dispatch(exchange);
    writers.set(uri, writer);
  }
  return writers;
}

/** The URIs of the requests `carrier` was given, in order. */
function uris(carrier: FakeCarrier): string[] {
  return carrier.assigned.map(({ exchange }) => exchange.info.uri);
}

/** Ends the oldest request `carrier` still holds, as its worker would. */
function finishOldest(carrier: FakeCarrier): void {
  const [id] = carrier.inflight.keys();
  assert.ok(id !== undefined, `carrier ${carrier.pid} holds no request`);
  carrier.respond(id, '200 OK', [], '');
}

describe('the dispatcher', () => {
  it('gives a request to a carrier with a free core at once', () => {
    const dispatcher = new Dispatcher();
    const carrier = new FakeCarrier();
    dispatcher.addWorker(carrier);
    dispatchAll(dispatcher, '/a');
    assert.deepEqual(uris(carrier), ['/a']);
    assert.equal(dispatcher.queued, 0);
    assert.equal(dispatcher.inflight, 1);
  });

  it('queues requests while every core is busy, and hands them out in arrival order as cores free', () => {
    const dispatcher = new Dispatcher();
    const carrier = new FakeCarrier();
    dispatcher.addWorker(carrier);
    dispatchAll(dispatcher, '/1', '/2', '/3', '/4');
    assert.deepEqual(uris(carrier), ['/1']);
    assert.equal(dispatcher.queued, 3);
    finishOldest(carrier);
    assert.deepEqual(uris(carrier), ['/1', '/2']);
    finishOldest(carrier);
    finishOldest(carrier);
    assert.deepEqual(uris(carrier), ['/1', '/2', '/3', '/4']);
    assert.equal(dispatcher.queued, 0);
  });

  it('serves the queue from whichever carrier frees a core first', () => {
    const dispatcher = new Dispatcher();
    const a = new FakeCarrier(1);
    const b = new FakeCarrier(2);
    dispatcher.addWorker(a);
    dispatcher.addWorker(b);
    dispatchAll(dispatcher, '/1', '/2', '/3', '/4');
    finishOldest(b);
    finishOldest(b);
    finishOldest(a);
    assert.deepEqual({ a: uris(a), b: uris(b) }, { a: ['/1'], b: ['/2', '/3', '/4'] });
  });

  it('gives a carrier as many requests as it has cores before queueing', () => {
    const dispatcher = new Dispatcher();
    const carrier = new FakeCarrier(1, 3);
    dispatcher.addWorker(carrier);
    dispatchAll(dispatcher, '/1', '/2', '/3', '/4');
    assert.deepEqual(uris(carrier), ['/1', '/2', '/3']);
    assert.equal(dispatcher.queued, 1);
  });

  it('hands queued requests to a carrier that was added later', () => {
    const dispatcher = new Dispatcher();
    dispatchAll(dispatcher, '/1', '/2', '/3');
    assert.equal(dispatcher.queued, 3);
    const carrier = new FakeCarrier(1, 2);
    dispatcher.addWorker(carrier);
    assert.deepEqual(uris(carrier), ['/1', '/2']);
    assert.equal(dispatcher.queued, 1);
  });

  it('chooses the least busy carrier', () => {
    const dispatcher = new Dispatcher();
    const a = new FakeCarrier(1, 4);
    const b = new FakeCarrier(2, 4);
    dispatcher.addWorker(a);
    dispatcher.addWorker(b);
    dispatchAll(dispatcher, '/1', '/2', '/3', '/4');
    assert.deepEqual({ a: uris(a), b: uris(b) }, { a: ['/1', '/3'], b: ['/2', '/4'] });
    finishOldest(b);
    finishOldest(b);
    // the rotation would start at a now; b holds nothing, a two
    dispatchAll(dispatcher, '/5', '/6');
    assert.deepEqual({ a: uris(a), b: uris(b) }, { a: ['/1', '/3'], b: ['/2', '/4', '/5', '/6'] });
  });

  it('rotates among carriers that are equally busy', () => {
    const dispatcher = new Dispatcher();
    const carriers = [new FakeCarrier(1), new FakeCarrier(2), new FakeCarrier(3)];
    for (const carrier of carriers) dispatcher.addWorker(carrier);
    const servedBy: number[] = [];
    for (let i = 1; i <= 6; i++) {
      dispatchAll(dispatcher, `/${i}`);
      const carrier = carriers.find((c) => c.inflight.size === 1)!;
      servedBy.push(carrier.pid);
      finishOldest(carrier);
    }
    assert.deepEqual(servedBy, [1, 2, 3, 1, 2, 3]);
  });

  describe('pipelining', () => {
    it('gives a request to a carrier that can pipeline when no core is free', () => {
      const dispatcher = new Dispatcher();
      const carrier = new FakeCarrier();
      carrier.pipelining = true;
      dispatcher.addWorker(carrier);
      dispatchAll(dispatcher, '/1', '/2', '/3');
      assert.deepEqual(uris(carrier), ['/1', '/2', '/3']);
      assert.equal(dispatcher.queued, 0);
    });

    it('prefers a free core to pipelining, even on a busier carrier', () => {
      const dispatcher = new Dispatcher();
      const pipelining = new FakeCarrier(1, 1);
      pipelining.pipelining = true;
      const roomy = new FakeCarrier(2, 4);
      dispatcher.addWorker(pipelining);
      dispatcher.addWorker(roomy);
      dispatchAll(dispatcher, '/1', '/2', '/3', '/4', '/5', '/6');
      // /3 and /5 go to the free cores although the pipelining carrier holds fewer requests; /6
      // is pipelined once every core is busy
      assert.deepEqual({ pipelining: uris(pipelining), roomy: uris(roomy) },
        { pipelining: ['/1', '/6'], roomy: ['/2', '/3', '/4', '/5'] });
    });

    it('pipelines to the least busy of the carriers that can', () => {
      const dispatcher = new Dispatcher();
      const a = new FakeCarrier(1);
      const b = new FakeCarrier(2);
      a.pipelining = true;
      b.pipelining = true;
      dispatcher.addWorker(a);
      dispatcher.addWorker(b);
      dispatchAll(dispatcher, '/1', '/2', '/3', '/4');
      finishOldest(b);
      // the rotation starts at a, which holds two requests; b holds one
      dispatchAll(dispatcher, '/5');
      assert.deepEqual({ a: uris(a), b: uris(b) }, { a: ['/1', '/3'], b: ['/2', '/4', '/5'] });
    });

    it('queues when no carrier can pipeline, and drains the queue into one that can when it frees a core', () => {
      const dispatcher = new Dispatcher();
      const carrier = new FakeCarrier();
      dispatcher.addWorker(carrier);
      dispatchAll(dispatcher, '/1', '/2', '/3');
      assert.equal(dispatcher.queued, 2);
      carrier.pipelining = true;
      finishOldest(carrier);
      assert.deepEqual(uris(carrier), ['/1', '/2', '/3']);
      assert.equal(dispatcher.queued, 0);
    });
  });

  describe('the --listen bound', () => {
    it('answers 503 (Retry-After: 1) to the request that would make the queue longer than listen', () => {
      const dispatcher = new Dispatcher(2);
      const carrier = new FakeCarrier();
      dispatcher.addWorker(carrier);
      const writers = dispatchAll(dispatcher, '/running', '/queued-1', '/queued-2', '/refused');
      assert.equal(dispatcher.queued, 2);
      assert.deepEqual(writers.get('/refused')!.calls, [{ call: 'answer', answer: ANSWERS.queueFull, more: [] }]);
      assert.equal(ANSWERS.queueFull.status, 503);
      assert.deepEqual(ANSWERS.queueFull.headers, ['Retry-After', '1']);
      for (const uri of ['/running', '/queued-1', '/queued-2']) assert.deepEqual(writers.get(uri)!.calls, [], uri);
    });

    it('does not count queued requests whose client went away', () => {
      const dispatcher = new Dispatcher(2);
      const carrier = new FakeCarrier();
      dispatcher.addWorker(carrier);
      const writers = dispatchAll(dispatcher, '/running', '/gone', '/queued');
      writers.get('/gone')!.clientGone();
      const later = dispatchAll(dispatcher, '/accepted', '/refused');
      assert.deepEqual(later.get('/accepted')!.calls, []);
      assert.deepEqual(later.get('/refused')!.calls, [{ call: 'answer', answer: ANSWERS.queueFull, more: [] }]);
      finishOldest(carrier);
      finishOldest(carrier);
      assert.deepEqual(uris(carrier), ['/running', '/queued', '/accepted'], 'the cancelled request never goes out');
    });

    it('skips a cancelled request when its turn comes', () => {
      const dispatcher = new Dispatcher();
      const carrier = new FakeCarrier();
      dispatcher.addWorker(carrier);
      const writers = dispatchAll(dispatcher, '/1', '/gone', '/3');
      writers.get('/gone')!.clientGone();
      finishOldest(carrier);
      assert.deepEqual(uris(carrier), ['/1', '/3']);
      assert.equal(dispatcher.queued, 0);
    });
  });

  it('gives a removed carrier no more requests, while those it holds go on', () => {
    const dispatcher = new Dispatcher();
    const removed = new FakeCarrier(1, 2);
    dispatcher.addWorker(removed);
    dispatchAll(dispatcher, '/1');
    dispatcher.removeWorker(removed);
    dispatchAll(dispatcher, '/2', '/3');
    assert.deepEqual(uris(removed), ['/1']);
    assert.equal(dispatcher.queued, 2);
    finishOldest(removed);
    assert.deepEqual(uris(removed), ['/1'], 'a core freeing on it does not drain the queue into it');
    const next = new FakeCarrier(2, 2);
    dispatcher.addWorker(next);
    assert.deepEqual(uris(next), ['/2', '/3']);
  });

  describe('whenIdle()', () => {
    it('resolves at once when nothing is queued or in flight', async () => {
      const dispatcher = new Dispatcher();
      dispatcher.addWorker(new FakeCarrier());
      assert.ok(await hasSettled(dispatcher.whenIdle()));
    });

    it('resolves once the queue has drained and the last request has ended', async () => {
      const dispatcher = new Dispatcher();
      const carrier = new FakeCarrier();
      dispatcher.addWorker(carrier);
      dispatchAll(dispatcher, '/1', '/2');
      const idle = dispatcher.whenIdle();
      finishOldest(carrier);
      assert.equal(await hasSettled(idle), false, 'one request is still in flight');
      finishOldest(carrier);
      assert.ok(await hasSettled(idle));
    });

    it('waits for a request still running on a removed carrier', async () => {
      const dispatcher = new Dispatcher();
      const carrier = new FakeCarrier();
      dispatcher.addWorker(carrier);
      dispatchAll(dispatcher, '/1');
      dispatcher.removeWorker(carrier);
      const idle = dispatcher.whenIdle();
      assert.equal(await hasSettled(idle), false);
      finishOldest(carrier);
      assert.ok(await hasSettled(idle));
    });
  });
});
