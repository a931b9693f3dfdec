// Harakiri: the requests that ran past --harakiri, and how each client gets its answer. Requests
// over the channel are found here by the master's check tick and answered 504 by the master; a
// request on a uwsgi socket is answered by the worker's own watchdog, which reports it (HARAKIRI).
// Either way the arbiter then replaces the worker.
import type { Config } from '../config/config.ts';
import type { HarakiriReport } from '../channel/records.ts';
import { ANSWERS } from '../listeners/answers.ts';
import { log } from '../observe/log.ts';
import type { RequestInfo } from '../router/exchange.ts';
import { kernelView, overdueRequests } from './limits.ts';
import type { Worker } from './worker.ts';

/** A request past harakiri, and how its client gets the 504. */
export interface OverdueRequest {
  info: RequestInfo;
  elapsedS: number;
  /** What the client gets, for the log: `504`, or that its response was cut short. */
  outcome: string;
  answer(): void;
}

/**
 * The workers with requests over the channel running for longer than `harakiri` seconds (0: off),
 * and those requests; answering one gives it 504 here.
 */
export function overdueOnChannel(workers: readonly Worker[], harakiri: number, now: number): Array<[Worker, OverdueRequest[]]> {
  if (harakiri === 0) return [];
  const found: Array<[Worker, OverdueRequest[]]> = [];
  for (const worker of workers) {
    const overdue = overdueOf(worker, harakiri, now);
    if (overdue.length > 0) found.push([worker, overdue]);
  }
  return found;
}

function overdueOf(worker: Worker, harakiri: number, now: number): OverdueRequest[] {
  return overdueRequests(worker, harakiri, now).map(([id, exchange]) => ({
    info: exchange.info,
    elapsedS: (now - exchange.dispatchedMs) / 1000,
    outcome: String(ANSWERS.harakiri.status),
    answer: () => {
      worker.abandon(id);
      exchange.onWorkerLost(`harakiri: the request ran for more than ${harakiri} s`, ANSWERS.harakiri);
    },
  }));
}

/** A uwsgi request the worker's watchdog answered already; `count` counts it as served. */
export function answeredByWorker(report: HarakiriReport, count: () => void): OverdueRequest {
  const { request } = report;
  return {
    info: { method: request.method, uri: request.uri, protocol: request.protocol, remoteAddr: request.remoteAddr },
    elapsedS: report.elapsedS,
    outcome: report.answered ? String(ANSWERS.harakiri.status) : 'response cut short',
    answer: count,
  };
}

/** Logs uWSGI's HARAKIRI lines (the banner on the worker's first) and answers each overdue request. */
export function answerOverdue(worker: Worker, overdue: readonly OverdueRequest[], config: Config, first: boolean): void {
  const graceful = config.harakiriGracefulTimeout > 0;
  if (first) log(`*** HARAKIRI ON WORKER ${worker.slot} (pid: ${worker.pid}, try: 1, graceful: ${graceful ? 'yes' : 'no'}) ***`);
  for (const { info, elapsedS, outcome, answer } of overdue) {
    const { remoteAddr, method, uri } = info;
    log(`HARAKIRI worker ${worker.slot} (pid: ${worker.pid}): ${remoteAddr} - ${method} ${uri} running for ${elapsedS.toFixed(1)} s (harakiri ${config.harakiri} s): ${outcome}`);
    answer();
  }
  if (config.harakiriVerbose) log(`HARAKIRI worker ${worker.slot} (pid: ${worker.pid}): ${kernelView(worker.pid)}`);
}

/**
 * The end of a harakiri'd worker (already out of the dispatcher, its successor starting): with
 * harakiri-graceful-timeout, its signal now and SIGKILL after the timeout; else SIGKILL once its
 * other requests are done (now, when it has none).
 */
export function killHarakiried(worker: Worker, config: Config): void {
  if (config.harakiriGracefulTimeout > 0) {
    worker.kill(config.harakiriGracefulSignal);
    setTimeout(() => worker.kill(), config.harakiriGracefulTimeout * 1000).unref();
  } else if (worker.inflight.size === 0) {
    worker.kill();
  }
}
