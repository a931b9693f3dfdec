// The log line for requests answered 503 because the queue was full: under a flood it would be
// written thousands of times a second, so it is rate-limited (observe/rate-limited-log.ts).
import { RateLimitedLog } from '../observe/rate-limited-log.ts';

export class QueueFullLog {
  private readonly listen: number;
  private readonly lines = new RateLimitedLog();

  constructor(listen: number) {
    this.listen = listen;
  }

  rejected(queued: number): void {
    this.lines.line('queue full',
      `listen queue full: ${queued} requests are waiting for a worker (--listen ${this.listen}): answered 503; ` +
      'raise --listen, or add --processes or --threads',
      (n) => `listen queue full: ${n} more requests answered 503 in the last second (--listen ${this.listen})`);
  }
}
