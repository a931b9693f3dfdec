// The log line for requests answered 503 because the queue was full. Under a flood it would be
// written thousands of times a second, so it is written at most once a second: the first rejection
// at once, then, at the end of each second that had more, how many there were.
import { log } from '../observe/log.ts';

const INTERVAL_MS = 1000;

export class QueueFullLog {
  private readonly listen: number;
  /** Rejections since the last line, while a second is running. */
  private unlogged = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(listen: number) {
    this.listen = listen;
  }

  rejected(queued: number): void {
    if (this.timer !== null) {
      this.unlogged++;
      return;
    }
    log(`listen queue full: ${queued} requests are waiting for a worker (--listen ${this.listen}): answered 503; ` +
      'raise --listen, or add --processes or --threads');
    this.startSecond();
  }

  private startSecond(): void {
    this.timer = setTimeout(() => this.endSecond(), INTERVAL_MS).unref();
  }

  private endSecond(): void {
    this.timer = null;
    if (this.unlogged === 0) return;
    log(`listen queue full: ${this.unlogged} more requests answered 503 in the last second (--listen ${this.listen})`);
    this.unlogged = 0;
    this.startSecond();
  }
}
