// A ResponseWriter with no connection behind it, for in-process tests of the exchange and the
// router: it records every call in order, and the test plays the client: whether write() accepts
// (backpressure), when the socket drains, and when the client goes away.
import type { Answer } from '../../src/listeners/answers.ts';
import type { ResponseWriter } from '../../src/listeners/request.ts';

/** One call the exchange made, bodies as latin-1 text. */
export type WriterCall =
  | { call: 'head'; status: number; reason: string; headers: string[] }
  | { call: 'write'; chunk: string }
  | { call: 'end'; last: string | null }
  | { call: 'abort' }
  | { call: 'answer'; answer: Answer; more: readonly string[] }
  | { call: 'continue' };

export class FakeWriter implements ResponseWriter {
  readonly calls: WriterCall[] = [];
  /** What write() returns: false plays a slow client, until drain(). */
  accepting = true;
  /** What head() returns: a reason refuses the head, as a listener refuses a header its protocol cannot carry. */
  headRefusal: string | undefined = undefined;
  private drainCallbacks: Array<() => void> = [];
  /** write()'s `written` callbacks of the chunks the client has not taken yet. */
  private writtenCallbacks: Array<() => void> = [];
  private goneCallbacks: Array<() => void> = [];

  head(status: number, reason: string, headers: string[]): string | undefined {
    this.calls.push({ call: 'head', status, reason, headers });
    return this.headRefusal;
  }

  write(chunk: Buffer, written?: () => void): boolean {
    this.calls.push({ call: 'write', chunk: chunk.toString('latin1') });
    if (written !== undefined) {
      // an accepting client takes the chunk in the next tick, as a socket would; a slow one at drain()
      if (this.accepting) process.nextTick(written);
      else this.writtenCallbacks.push(written);
    }
    return this.accepting;
  }

  onDrain(callback: () => void): void {
    this.drainCallbacks.push(callback);
  }

  end(last: Buffer | null): void {
    this.calls.push({ call: 'end', last: last === null ? null : last.toString('latin1') });
  }

  abort(): void {
    this.calls.push({ call: 'abort' });
  }

  answer(answer: Answer, more: readonly string[] = []): void {
    this.calls.push({ call: 'answer', answer, more });
  }

  sendContinue(): void {
    this.calls.push({ call: 'continue' });
  }

  onClientGone(callback: () => void): void {
    this.goneCallbacks.push(callback);
  }

  // --- the client's side ----------------------------------------------------------------------

  /**
   * The socket drained: the chunks written so far are taken (their `written` callbacks run), write()
   * accepts again, and each onDrain callback runs once (as 'drain' listeners added with once).
   */
  drain(): void {
    this.accepting = true;
    const written = this.writtenCallbacks;
    this.writtenCallbacks = [];
    for (const callback of written) callback();
    const callbacks = this.drainCallbacks;
    this.drainCallbacks = [];
    for (const callback of callbacks) callback();
  }

  /** The client went away before the response was complete. */
  clientGone(): void {
    for (const callback of this.goneCallbacks) callback();
  }

  /** The calls by name only, for checking their order. */
  get callNames(): string[] {
    return this.calls.map((c) => c.call);
  }
}
