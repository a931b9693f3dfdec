// The exchange between a listener and a worker, in process with a fake carrier and a fake writer:
// the request body within the worker's credit (docs/channel.md, "Flow control"), 100 Continue,
// response credit as the client accepts the bytes, coalescing of a batch into one write, the
// client going away, a worker lost or misbehaving, and limit-post on a chunked body.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { FLAG_ABORTED } from '../src/channel/frames.ts';
import { ANSWERS } from '../src/listeners/answers.ts';
import type { ParsedRequest } from '../src/listeners/request.ts';
import { Exchange, REQUEST_BODY_WINDOW, RESPONSE_WINDOW } from '../src/router/exchange.ts';
import { nextTurn } from './helpers/event-loop.ts';
import { FakeCarrier } from './helpers/fake-carrier.ts';
import { FakeWriter } from './helpers/fake-writer.ts';
import { parsedRequest } from './helpers/parsed-request.ts';

const KiB = 1024;

interface Started {
  carrier: FakeCarrier;
  writer: FakeWriter;
  /** The request's id on the carrier. */
  id: number;
  /** How many times the exchange reported itself done. */
  doneCount(): number;
}

/** An exchange for `request`, already given to a fake carrier. */
function start(request: Partial<ParsedRequest> = {}, body: PassThrough | null = null, bodyLimit = 0): Started {
  const carrier = new FakeCarrier();
  const writer = new FakeWriter();
  let done = 0;
  const exchange = new Exchange(parsedRequest(request), writer, body, () => done++);
  exchange.bodyLimit = bodyLimit;
  carrier.assign(exchange);
  return { carrier, writer, id: carrier.assigned[0]!.id, doneCount: () => done };
}

/** A request with a body of `bodyLength` bytes (-1: chunked) coming through `body`. */
function startWithBody(bodyLength: number, fields: Partial<ParsedRequest> = {}, bodyLimit = 0): Started & { body: PassThrough } {
  const body = new PassThrough();
  return { ...start({ method: 'POST', bodyLength, ...fields }, body, bodyLimit), body };
}

function bytes(n: number): Buffer {
  return Buffer.alloc(n, 'x');
}

describe('the request body', () => {
  it('is forwarded as it comes while it fits in the window', async () => {
    const { body, carrier, id } = startWithBody(200 * KiB);
    body.write(bytes(100 * KiB));
    body.write(bytes(100 * KiB));
    body.end();
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), [
      { type: 'body', id, bytes: 100 * KiB },
      { type: 'body', id, bytes: 100 * KiB },
      { type: 'body-end', id, flags: 0 },
    ]);
  });

  it('is held past the window, with the client paused, until the worker grants credit', async () => {
    const { body, carrier, id } = startWithBody(REQUEST_BODY_WINDOW + 100 * KiB);
    body.write(bytes(REQUEST_BODY_WINDOW - 10 * KiB));
    body.write(bytes(30 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), [
      { type: 'body', id, bytes: REQUEST_BODY_WINDOW - 10 * KiB },
      { type: 'body', id, bytes: 10 * KiB },
    ], 'only what the window allows');
    assert.ok(body.isPaused(), 'the client is not read meanwhile');

    carrier.credit(id, 15 * KiB);
    assert.deepEqual(carrier.sentFor(id).slice(2), [{ type: 'body', id, bytes: 15 * KiB }], 'part of what is held');
    assert.ok(body.isPaused());

    carrier.credit(id, 64 * KiB);
    assert.deepEqual(carrier.sentFor(id).slice(3), [{ type: 'body', id, bytes: 5 * KiB }], 'the rest of what is held');
    assert.equal(body.isPaused(), false, 'reading resumes');

    body.end(bytes(59 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id).slice(4), [
      { type: 'body', id, bytes: 59 * KiB },
      { type: 'body-end', id, flags: 0 },
    ], 'within the credit left');
  });

  it('ends only after a remainder held at its end has gone out', async () => {
    const { body, carrier, id } = startWithBody(REQUEST_BODY_WINDOW + 40 * KiB);
    body.end(bytes(REQUEST_BODY_WINDOW + 40 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), [{ type: 'body', id, bytes: REQUEST_BODY_WINDOW }]);
    carrier.credit(id, 30 * KiB);
    assert.deepEqual(carrier.sentFor(id).slice(1), [{ type: 'body', id, bytes: 30 * KiB }]);
    carrier.credit(id, 30 * KiB);
    assert.deepEqual(carrier.sentFor(id).slice(2), [
      { type: 'body', id, bytes: 10 * KiB },
      { type: 'body-end', id, flags: 0 },
    ]);
  });

  it('that breaks off ends with BODY_END flagged aborted, and what was held is dropped', async () => {
    const { body, carrier, id } = startWithBody(REQUEST_BODY_WINDOW + 40 * KiB);
    body.write(bytes(REQUEST_BODY_WINDOW + 20 * KiB));
    await nextTurn();
    body.destroy(new Error('connection reset'));
    await nextTurn();
    carrier.credit(id, REQUEST_BODY_WINDOW);
    assert.deepEqual(carrier.sentFor(id), [
      { type: 'body', id, bytes: REQUEST_BODY_WINDOW },
      { type: 'body-end', id, flags: FLAG_ABORTED },
    ]);
  });

  it('is no longer forwarded once the client went away', async () => {
    const { body, carrier, writer, id } = startWithBody(100 * KiB);
    body.write(bytes(10 * KiB));
    await nextTurn();
    writer.clientGone();
    body.end(bytes(10 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), [{ type: 'body', id, bytes: 10 * KiB }, { type: 'cancel', id }]);
  });
});

describe('Expect: 100-continue', () => {
  it('sends 100 Continue on the first credit only, then forwards the body within it', async () => {
    const { body, carrier, writer, id } = startWithBody(30 * KiB, { expectContinue: true });
    await nextTurn();
    assert.deepEqual(writer.calls, [], 'not before the app reads its input');
    carrier.credit(id, 16 * KiB);
    assert.deepEqual(writer.calls, [{ call: 'continue' }]);
    body.write(bytes(20 * KiB));
    await nextTurn();
    carrier.credit(id, 16 * KiB);
    body.end(bytes(10 * KiB));
    await nextTurn();
    assert.deepEqual(writer.calls, [{ call: 'continue' }], 'once');
    assert.deepEqual(carrier.sentFor(id), [
      { type: 'body', id, bytes: 16 * KiB },
      { type: 'body', id, bytes: 4 * KiB },
      { type: 'body', id, bytes: 10 * KiB },
      { type: 'body-end', id, flags: 0 },
    ]);
  });

  it('holds a body the client sent without waiting until the first credit', async () => {
    const { body, carrier, id } = startWithBody(10 * KiB, { expectContinue: true });
    body.end(bytes(10 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), []);
    carrier.credit(id, REQUEST_BODY_WINDOW);
    assert.deepEqual(carrier.sentFor(id), [{ type: 'body', id, bytes: 10 * KiB }, { type: 'body-end', id, flags: 0 }]);
  });
});

describe('response credit', () => {
  const batch = RESPONSE_WINDOW / 2;

  it('goes back to the worker in batches of half a window while the client accepts the bytes', () => {
    const { carrier, id } = start();
    carrier.head(id, '200 OK');
    const credits = () => carrier.sentFor(id).filter((frame) => frame.type === 'credit');
    carrier.body(id, bytes(batch / 2));
    assert.deepEqual(credits(), []);
    carrier.body(id, bytes(batch / 2));
    assert.deepEqual(credits(), [{ type: 'credit', id, bytes: batch }]);
    carrier.body(id, bytes(batch - 1));
    assert.equal(credits().length, 1);
    carrier.body(id, bytes(2));
    assert.deepEqual(credits(), [{ type: 'credit', id, bytes: batch }, { type: 'credit', id, bytes: batch + 1 }]);
  });

  it('goes back after the drain when the client is slow, with what was owed before', () => {
    const { carrier, writer, id } = start();
    carrier.head(id, '200 OK');
    carrier.body(id, bytes(1000));
    writer.accepting = false;
    carrier.body(id, bytes(3000));
    carrier.body(id, bytes(5000));
    assert.deepEqual(carrier.sentFor(id), [], 'nothing while the client has not drained');
    writer.drain();
    assert.deepEqual(carrier.sentFor(id), [{ type: 'credit', id, bytes: 9000 }]);
    carrier.body(id, bytes(batch));
    assert.deepEqual(carrier.sentFor(id).slice(1), [{ type: 'credit', id, bytes: batch }], 'batches again afterwards');
  });

  it('is not returned for a drain after the response ended', () => {
    const { carrier, writer, id } = start();
    carrier.head(id, '200 OK');
    writer.accepting = false;
    carrier.body(id, bytes(1000));
    carrier.end(id);
    writer.drain();
    assert.deepEqual(carrier.sentFor(id), []);
  });
});

describe('coalescing', () => {
  it('makes head, body and end in one batch a head and an end with the last chunk', () => {
    const { carrier, writer, id, doneCount } = start();
    carrier.respond(id, '200 OK', ['Content-Length', '5'], 'hello');
    assert.deepEqual(writer.calls, [
      { call: 'head', status: 200, reason: 'OK', headers: ['Content-Length', '5'] },
      { call: 'end', last: 'hello' },
    ]);
    assert.equal(doneCount(), 1);
  });

  it('writes the chunks of a batch in order, the last one at the end of the batch', () => {
    const { carrier, writer, id } = start();
    carrier.head(id, '404 Not Found', ['Content-Type', 'text/plain']);
    carrier.body(id, Buffer.from('one '), Buffer.from('two '));
    assert.deepEqual(writer.calls, [
      { call: 'head', status: 404, reason: 'Not Found', headers: ['Content-Type', 'text/plain'] },
      { call: 'write', chunk: 'one ' },
      { call: 'write', chunk: 'two ' },
    ]);
    carrier.end(id);
    assert.deepEqual(writer.calls.slice(3), [{ call: 'end', last: null }]);
  });
});

describe('the client going away', () => {
  it('sends CANCEL once, and drops whatever the worker sends afterwards', () => {
    const { carrier, writer, id, doneCount } = start();
    carrier.head(id, '200 OK');
    writer.clientGone();
    writer.clientGone();
    carrier.body(id, Buffer.from('late'));
    carrier.end(id);
    assert.deepEqual(carrier.sentFor(id), [{ type: 'cancel', id }]);
    assert.deepEqual(writer.calls, []);
    assert.equal(doneCount(), 1, 'the exchange is over when the worker ends it');
  });
});

describe('a worker lost', () => {
  it('before the head: the client gets 502', () => {
    const { carrier, writer, doneCount } = start();
    carrier.die();
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.badGateway, more: [] }]);
    assert.equal(doneCount(), 1);
  });

  it('after the head went out: the response is cut short', () => {
    const { carrier, writer, id, doneCount } = start();
    carrier.head(id, '200 OK');
    carrier.body(id, Buffer.from('part'));
    carrier.die();
    assert.deepEqual(writer.callNames, ['head', 'write', 'abort']);
    assert.equal(doneCount(), 1);
  });

  it('after a head that had not gone out yet: the client gets 502', () => {
    const { carrier, writer, id } = start();
    carrier.head(id, '200 OK');
    carrier.die();
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.badGateway, more: [] }]);
  });
});

describe('a worker that misbehaves', () => {
  it('ending the response without a head: the client gets 502', () => {
    const { carrier, writer, id, doneCount } = start();
    carrier.end(id);
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.badGateway, more: [] }]);
    assert.equal(doneCount(), 1);
  });

  it('sending a head the listener refuses: the client gets 502, the request is cancelled, nothing more is written', () => {
    const { carrier, writer, id, doneCount } = start();
    writer.headRefusal = 'invalid character in header "X-Bad"';
    carrier.head(id, '200 OK', ['X-Bad', 'a\x01b']);
    carrier.body(id, Buffer.from('first'), Buffer.from('second'));
    carrier.body(id, Buffer.from('third'));
    carrier.end(id);
    assert.deepEqual(writer.calls, [
      { call: 'head', status: 200, reason: 'OK', headers: ['X-Bad', 'a\x01b'] },
      { call: 'answer', answer: ANSWERS.badGateway, more: [] },
    ]);
    assert.deepEqual(carrier.sentFor(id), [{ type: 'cancel', id }]);
    assert.equal(doneCount(), 1);
  });

  it('sending a refused head in a batch with its end: the client gets 502', () => {
    const { carrier, writer, id } = start();
    writer.headRefusal = 'invalid status';
    carrier.respond(id, '200 OK', [], 'body');
    assert.deepEqual(writer.callNames, ['head', 'answer']);
    assert.deepEqual(writer.calls[1], { call: 'answer', answer: ANSWERS.badGateway, more: [] });
  });
});

describe('limit-post on a chunked body', () => {
  it('cancels the request and answers 413 when the body grows past the limit before the head', async () => {
    const { body, carrier, writer, id } = startWithBody(-1, {}, 16 * KiB);
    body.write(bytes(10 * KiB));
    body.write(bytes(10 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), [{ type: 'body', id, bytes: 10 * KiB }, { type: 'cancel', id }]);
    assert.deepEqual(writer.calls, [{ call: 'answer', answer: ANSWERS.bodyTooLarge, more: [] }]);
    body.end(bytes(10 * KiB));
    await nextTurn();
    carrier.respond(id, '200 OK', [], 'too late');
    assert.equal(carrier.sentFor(id).length, 2, 'nothing more goes to the worker');
    assert.equal(writer.calls.length, 1, 'nothing more goes to the client');
  });

  it('cancels the request and cuts the response when its head already went out', async () => {
    const { body, carrier, writer, id } = startWithBody(-1, {}, 16 * KiB);
    body.write(bytes(10 * KiB));
    await nextTurn();
    carrier.head(id, '200 OK');
    carrier.body(id, Buffer.from('streaming'));
    body.write(bytes(10 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id).at(-1), { type: 'cancel', id });
    assert.deepEqual(writer.callNames, ['head', 'write', 'abort']);
  });

  it('lets a body up to the limit through', async () => {
    const { body, carrier, id } = startWithBody(-1, {}, 16 * KiB);
    body.write(bytes(10 * KiB));
    body.end(bytes(6 * KiB));
    await nextTurn();
    assert.deepEqual(carrier.sentFor(id), [
      { type: 'body', id, bytes: 10 * KiB },
      { type: 'body', id, bytes: 6 * KiB },
      { type: 'body-end', id, flags: 0 },
    ]);
  });
});
