// The master's reports to the log, from its snapshot and its counters: SIGUSR1's stats and SIGUSR2's "what each
// worker is doing" (uWSGI's names for both).
import { ctime, log } from '../observe/log.ts';
import type { MasterSnapshot } from './lifecycle.ts';
import type { ServerCounters } from './stats/counters.ts';

/** SIGUSR1, `s` on the master FIFO: the counters (the stats server's), what each worker is doing, the zygote. */
export function logStats(snapshot: MasterSnapshot, counters: ServerCounters): void {
  const byWorkers = counters.allSlots().reduce((n, slot) => n + slot.requests, 0);
  log(`workers total requests: ${byWorkers + counters.staticByMaster + counters.answeredByMaster}`);
  for (const w of snapshot.workers) {
    const slot = counters.slot(w.slot);
    const busy = w.coreStates.filter((core) => core.inRequest).length;
    log(`worker ${w.slot} (pid: ${w.pid}) ${w.state}: ${slot.requests} requests (${slot.deltaRequests} since its spawn), ` +
      `${slot.exceptions} exceptions, ${busy} of ${w.cores} cores busy`);
  }
  const zygote = snapshot.zygote;
  if (zygote !== null) {
    const starts = `started ${zygote.starts} time${zygote.starts === 1 ? '' : 's'}`;
    log(zygote.pid === 0 ? `zygote: none now (${starts})` : `zygote (pid: ${zygote.pid}) ${zygote.state} (${starts})`);
  }
  log(`static files sent by the master: ${counters.staticByMaster}; answered by the master: ${counters.answeredByMaster}`);
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

/** SIGTSTP or `p` on the master FIFO: what pausing (or resuming) means for the requests. */
export function logPauseChange(paused: boolean): void {
  log(paused
    ? '*** PAUSE: requests wait in the master (up to --listen), and connections on uwsgi sockets in their backlog, ' +
      'until resumed (SIGTSTP again, or p on the master FIFO) ***'
    : '*** RESUME: workers take requests again ***');
}
