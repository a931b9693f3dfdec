// A count of pieces of work under way, and a way to wait until there are none: what a graceful
// stop waits on for the work the dispatcher does not see (bodies being buffered, static files and
// the files workers hand over being sent).
export class WorkCount {
  /** Pieces under way now. */
  count = 0;
  private waiters: Array<() => void> = [];

  began(): void {
    this.count++;
  }

  ended(): void {
    if (--this.count > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once the count is 0. */
  whenNone(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
