// The HTTP listener's response writer, in process: a real node:http listener, the router and the
// dispatcher, and a fake carrier in place of a worker, so that the worker's side can send what no
// real worker sends (a head node refuses) and the test sees every frame the master sends back.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ANSWERS } from '../src/listeners/answers.ts';
import { parseSocketAddress } from '../src/listeners/address.ts';
import { HttpListener } from '../src/listeners/http.ts';
import { AddressList } from '../src/config/address-list.ts';
import { Dispatcher } from '../src/router/dispatcher.ts';
import { Router } from '../src/router/router.ts';
import { FakeCarrier } from './helpers/fake-carrier.ts';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The response ended cleanly (not cut short). */
  complete: boolean;
}

function get(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, complete: res.complete }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Resolves once the carrier holds `n` requests. */
async function assignedCount(carrier: FakeCarrier, n: number): Promise<void> {
  while (carrier.assigned.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the HTTP listener\'s response writer', () => {
  const carrier = new FakeCarrier();
  const dispatcher = new Dispatcher(10);
  const router = new Router(dispatcher, { limitPost: 0, postBuffering: 0 });
  const listener = new HttpListener(parseSocketAddress('127.0.0.1:0'), router,
    { maxHeadSize: 4096, maxHeaders: 100, keepAliveTimeoutMs: 5000, headTimeoutMs: 60_000, trustedProxies: new AddressList([]), addHeaders: [] });
  let port = 0;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  before(async () => {
    process.on('uncaughtException', onUncaught);
    dispatcher.addWorker(carrier);
    port = (await listener.listen({ backlog: 16, mode: undefined, owner: undefined })).port;
  });
  after(async () => {
    process.off('uncaughtException', onUncaught);
    listener.closeAll();
    await listener.close();
  });

  it('passes a worker\'s response on', async () => {
    const reply = get(port, '/fine');
    await assignedCount(carrier, 1);
    const { id } = carrier.assigned[0]!;
    carrier.respond(id, '200 OK', ['Content-Type', 'text/plain', 'Content-Length', '5'], 'hello');
    const { status, body, complete } = await reply;
    assert.deepEqual({ status, body, complete }, { status: 200, body: 'hello', complete: true });
  });

  it('answers 502 from the table when node refuses the worker\'s head, cancels the request, and writes nothing after', async () => {
    const reply = get(port, '/bad-head');
    await assignedCount(carrier, 2);
    const { id } = carrier.assigned[1]!;
    // a control character in a value: node's writeHead throws ERR_INVALID_CHAR
    carrier.head(id, '200 OK', ['X-Bad', 'a\x01b']);
    carrier.body(id, Buffer.from('first chunk '));
    carrier.body(id, Buffer.from('second chunk'));
    carrier.end(id);
    const { status, headers, body, complete } = await reply;
    assert.equal(status, 502);
    assert.equal(body, ANSWERS.badGateway.body);
    assert.equal(headers['content-length'], String(ANSWERS.badGateway.body.length));
    assert.ok(complete, 'the 502 is a whole response');
    assert.deepEqual(carrier.sentFor(id), [{ type: 'cancel', id }], 'the worker is told to cancel the request');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(uncaught, [], 'nothing was written after the end');
  });

  it('still serves on the same listener afterwards', async () => {
    const reply = get(port, '/after');
    await assignedCount(carrier, 3);
    carrier.respond(carrier.assigned[2]!.id, '201 Created', ['Content-Length', '2'], 'ok');
    assert.equal((await reply).status, 201);
  });
});
