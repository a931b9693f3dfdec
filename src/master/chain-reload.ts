// Chain reload (uWSGI's `c`, touch-chain-reload): the workers are replaced one at a time, each
// successor ready before the next slot's turn, so capacity never drops by more than one worker.
import { log } from '../observe/log.ts';

export class ChainReload {
  /** The slots (indexes) still to replace. */
  private remaining: number[] = [];
  /** The slot being replaced now; -1 when no chain runs. */
  private current = -1;
  /** Starts a successor for a slot; false when it cannot start now (the slot is then skipped). */
  private readonly replace: (index: number) => boolean;

  constructor(replace: (index: number) => boolean) {
    this.replace = replace;
  }

  get running(): boolean {
    return this.current !== -1;
  }

  /** Whether slot `index` is the one being replaced. */
  isReplacing(index: number): boolean {
    return this.current === index;
  }

  start(processes: number): void {
    this.remaining = Array.from({ length: processes }, (_, index) => index);
    this.next();
  }

  /** The current slot's successor took over: on to the next slot. */
  next(): void {
    const index = this.remaining.shift();
    if (index === undefined) {
      this.current = -1;
      log('chain reloading complete');
      return;
    }
    this.current = index;
    log(`chain next victim is worker ${index + 1}`);
    if (!this.replace(index)) this.next();
  }

  stop(why: string): void {
    if (!this.running) return;
    log(`chain reload stopped: ${why}`);
    this.remaining = [];
    this.current = -1;
  }
}
