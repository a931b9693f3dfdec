// The master's reports to the log, from its snapshot: SIGUSR1's stats and SIGUSR2's "what each
// worker is doing" (uWSGI's names for both).
import { ctime, log } from '../observe/log.ts';
import type { MasterSnapshot } from './lifecycle.ts';

/** SIGUSR1, `s` on the master FIFO. */
export function logStats(snapshot: MasterSnapshot): void {
  log(`workers total requests: ${snapshot.totalRequests}`);
  for (const w of snapshot.workers) {
    log(`worker ${w.slot} (pid: ${w.pid}) ${w.state}: ${w.requestsServed} requests, ${w.inflight.length} in flight`);
  }
  log(`queued requests: ${snapshot.queued}`);
}

/** SIGUSR2: each worker's requests over the channel in flight, and since when. */
export function logWhatWorkersDo(snapshot: MasterSnapshot, now: number): void {
  for (const w of snapshot.workers) {
    if (w.inflight.length === 0) log(`SIGUSR2: worker ${w.slot} (pid: ${w.pid}) ${w.state}, no request`);
    for (const { method, uri, remoteAddr, sinceMs } of w.inflight) {
      log(`SIGUSR2: worker ${w.slot} (pid: ${w.pid}) is managing request ${method} ${uri} from ${remoteAddr} ` +
        `since ${ctime(sinceMs)} (${((now - sinceMs) / 1000).toFixed(3)} s)`);
    }
  }
  log(`SIGUSR2: ${snapshot.queued} requests waiting in the master`);
}
