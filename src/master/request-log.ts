// Sets up the log as the configuration asks, once, when the master is made: the request log
// observer on the router (src/observe/request-log.ts), the form of the master's own lines
// (log-date, log-prefix, log-encoder json) and, in JSON, the lifecycle events as objects.
import type { Config } from '../config/config.ts';
import { configureMasterLines, ctime, logObject } from '../observe/log.ts';
import { requestLogObserver } from '../observe/request-log.ts';
import { strftime } from '../observe/strftime.ts';
import type { Router } from '../router/router.ts';
import type { Lifecycle } from './lifecycle.ts';
import { processMemory } from './stats/memory.ts';

/** What starts each of the master's lines: log-prefix, else log-date (ctime's form, or a strftime format), then " - ". */
export function linePrefix(config: Pick<Config, 'logDate' | 'logPrefix'>): ((ms: number) => string) | null {
  if (config.logPrefix !== undefined) {
    const text = config.logPrefix + ' - ';
    return () => text;
  }
  const format = config.logDate;
  if (format === undefined) return null;
  if (format === '') return (ms) => ctime(ms) + ' - ';
  return (ms) => strftime(format, ms) + ' - ';
}

export function setUpLog(config: Config, router: Router, events: Lifecycle): void {
  const observer = requestLogObserver(config, processMemory);
  if (observer !== undefined) router.observe(observer);
  const json = config.logEncoder === 'json';
  configureMasterLines({ json, prefix: json ? null : linePrefix(config) });
  if (json) logEventsAsJson(events);
}

function now(): string {
  return new Date().toISOString();
}

/** Each lifecycle event as a JSON object of its own line (docs/compat.md, "JSON log"). */
function logEventsAsJson(events: Lifecycle): void {
  const master = process.pid;
  const event = (name: string, fields: Record<string, unknown>): void =>
    logObject({ type: 'event', time: now(), pid: master, event: name, ...fields });
  events.on('spawn', ({ slot, pid }) => event('spawn', { worker: slot, worker_pid: pid }));
  events.on('ready', ({ slot, pid }) => event('ready', { worker: slot, worker_pid: pid }));
  // a worker that never had a process (its zygote or its interpreter could not start) has no pid
  events.on('exit', ({ slot, pid, cause, code, signal }) => event('exit', { worker: slot, worker_pid: pid === 0 ? null : pid, cause, code, signal }));
  events.on('reload', ({ kind, why }) => event('reload', { kind, why }));
  events.on('harakiri', ({ slot, pid, requests }) =>
    event('harakiri', { worker: slot, worker_pid: pid, requests: requests.map((r) => `${r.method} ${r.uri}`) }));
  events.on('recycle', ({ slot, pid, reason }) => event('recycle', { worker: slot, worker_pid: pid, reason }));
  events.on('queueFull', ({ queued }) => event('queue-full', { queued }));
}
