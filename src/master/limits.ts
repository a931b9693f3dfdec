// The limits that end a worker's life (uWSGI's max-requests, max-worker-lifetime, reload-on-rss)
// and the per-request one (harakiri), as pure decisions over what the master knows of a worker.
// The arbiter asks after every request and on every check tick, and carries the answer out.
import fs from 'node:fs';
import type { Config } from '../config/config.ts';
import type { Exchange } from '../router/exchange.ts';
import type { Worker } from './worker.ts';
import { processMemory } from './stats/memory.ts';

const MiB = 1024 * 1024;

/** max-requests for one worker: the base, plus worker id times the delta, plus a random jitter. */
export function requestLimitFor(slot: number, config: Config): number {
  if (config.maxRequests === 0) return 0;
  const jitter = config.maxRequestsJitter === 0 ? 0 : Math.floor(Math.random() * (config.maxRequestsJitter + 1));
  return config.maxRequests + slot * config.maxRequestsDelta + jitter;
}

/**
 * Why `worker` should be replaced now, in uWSGI's words, or undefined. Nothing is due before
 * min-worker-lifetime; `rssBytes` is only read when reload-on-rss asks for it.
 */
export function recycleReason(worker: Worker, config: Config, now: number, rssBytes: (pid: number) => number | undefined): string | undefined {
  if (worker.state !== 'ready' || now - worker.readyAt < config.minWorkerLifetime * 1000) return undefined;
  if (worker.requestLimit > 0 && worker.requestsServed >= worker.requestLimit) {
    return `max requests reached (${worker.requestsServed} >= ${worker.requestLimit})`;
  }
  if (config.maxWorkerLifetime > 0) {
    const lifetime = config.maxWorkerLifetime + worker.slot * config.maxWorkerLifetimeDelta;
    const lived = Math.floor((now - worker.spawnedAt) / 1000);
    if (lived >= lifetime) return `lifetime reached (${lived} s >= ${lifetime} s)`;
  }
  if (config.reloadOnRss > 0) {
    const rss = rssBytes(worker.pid);
    if (rss !== undefined && rss > config.reloadOnRss * MiB) {
      return `rss reached (${(rss / MiB).toFixed(1)} MiB > ${config.reloadOnRss} MiB)`;
    }
  }
  return undefined;
}

/** Resident memory of a process in bytes; undefined when it cannot be read. */
export function residentBytes(pid: number): number | undefined {
  return processMemory(pid)?.rss;
}

/** The requests `worker` has been running for longer than `seconds`, with their ids. */
export function overdueRequests(worker: Worker, seconds: number, now: number): Array<[number, Exchange]> {
  const overdue: Array<[number, Exchange]> = [];
  for (const entry of worker.inflight) {
    if (now - entry[1].dispatchedMs >= seconds * 1000) overdue.push(entry);
  }
  return overdue;
}

/** harakiri-verbose: what the kernel says the worker is doing (/proc/PID/syscall and wchan). */
export function kernelView(pid: number): string {
  const read = (name: string) => {
    try {
      return fs.readFileSync(`/proc/${pid}/${name}`, 'utf8').trim();
    } catch {
      return 'unavailable';
    }
  };
  return `syscall: ${read('syscall')}, wchan: ${read('wchan')}`;
}
