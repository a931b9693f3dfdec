// Log lines that a flood would write thousands of times a second (a full queue, malformed
// requests): each kind is written at most once a second. The first at once; then, at the end of
// each second that had more, one line saying how many more there were.
import { log } from './log.ts';

const INTERVAL_MS = 1000;

interface Kind {
  /** Lines not written since the last one, while a second is running. */
  unlogged: number;
  timer: NodeJS.Timeout | null;
  /** The line for `n` more of this kind in the last second. */
  more: (n: number) => string;
}

export class RateLimitedLog {
  private readonly kinds = new Map<string, Kind>();

  /** Writes `line` unless a line of `kind` was written in the last second; `more(n)` sums up the rest. */
  line(kind: string, line: string, more: (n: number) => string): void {
    let state = this.kinds.get(kind);
    if (state === undefined) {
      state = { unlogged: 0, timer: null, more };
      this.kinds.set(kind, state);
    }
    if (state.timer !== null) {
      state.unlogged++;
      return;
    }
    log(line);
    this.startSecond(kind, state);
  }

  private startSecond(kind: string, state: Kind): void {
    state.timer = setTimeout(() => this.endSecond(kind, state), INTERVAL_MS).unref();
  }

  private endSecond(kind: string, state: Kind): void {
    state.timer = null;
    if (state.unlogged === 0) {
      this.kinds.delete(kind);
      return;
    }
    log(state.more(state.unlogged));
    state.unlogged = 0;
    this.startSecond(kind, state);
  }
}
