// Waiting in in-process tests: for events, a turn of the event loop at a time, never for a time.
import assert from 'node:assert/strict';

/** Resolves once the callbacks pending now (streams' ticks, promises, I/O that is done) have run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` has settled after a turn of the event loop. */
export async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => { settled = true; });
  await nextTurn();
  return settled;
}

/**
 * Waits until `condition` holds, a turn at a time (file operations on the thread pool take a few);
 * fails with `failure` if it still does not after many turns.
 */
export async function until(condition: () => boolean, failure: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    assert.ok(turns < 10_000, failure);
    await nextTurn();
  }
}
