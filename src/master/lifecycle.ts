// What the master tells the rest of the server about itself: its lifecycle events (a worker
// spawned, ready, exited and why, a reload, a harakiri, a recycle, the queue full) and a snapshot
// of its state on demand. The reports of SIGUSR1 and SIGUSR2 read the snapshot; the stats server,
// the metrics and systemd's notify (notify.ts) read the same.
import { EventEmitter } from 'node:events';
import type { RequestInfo } from '../router/exchange.ts';
import type { CoreState } from './stats/stats-json.ts';
import type { Worker, WorkerState } from './worker.ts';

/** Why a worker exited, as the events and the stats name it. */
export type ExitCause =
  /** The master stopped it (shutdown, reload, recycle, removal, harakiri): it was meant to go. */
  | 'stopped'
  /** It could not load the app. */
  | 'load-failed'
  /** It died while serving (a crash, or a signal from outside). */
  | 'died';

export interface WorkerEvent {
  /** The worker id, 1..processes. */
  slot: number;
  pid: number;
}

export interface LifecycleEventMap {
  spawn: [worker: WorkerEvent];
  ready: [worker: WorkerEvent];
  exit: [worker: WorkerEvent & { cause: ExitCause; code: number | null; signal: NodeJS.Signals | null }];
  reload: [reload: { kind: string; why: string }];
  /**
   * Every worker is ready and serving: once start-up is over, and again when a whole-server
   * reload completed, or failed and the workers before it go on.
   */
  serving: [serving: { after: 'start' | 'reload' | 'failed-reload' }];
  /** The shutdown began. */
  stopping: [stopping: { how: 'graceful' | 'fast'; why: string }];
  harakiri: [worker: WorkerEvent & { requests: RequestInfo[] }];
  recycle: [worker: WorkerEvent & { reason: string }];
  queueFull: [queue: { queued: number }];
}

export class Lifecycle extends EventEmitter<LifecycleEventMap> {}

/** A request the master sent a worker and has not seen the end of. */
export interface RequestSnapshot extends RequestInfo {
  /** When the worker took it (ms since the epoch). */
  sinceMs: number;
}

export interface WorkerSnapshot {
  slot: number;
  pid: number;
  state: WorkerState;
  /** What it is to the master: serving a slot, a successor getting ready, retiring, or part of a reload's next set. */
  role: 'serving' | 'successor' | 'retiring' | 'next';
  cores: number;
  requestsServed: number;
  /** Its requests over the channel in flight, oldest first (those on uwsgi sockets are the worker's own). */
  inflight: RequestSnapshot[];
  spawnedAt: number;
  /** When it reported ready; 0 while it loads the app. */
  readyAt: number;
  /** What each of its cores is doing, whichever socket its request came on. */
  coreStates: CoreState[];
}

/** The zygote the workers are forked from now (zygote.ts). */
export interface ZygoteSnapshot {
  /** 0 while there is none: it died and is being replaced, or could not load the app or start. */
  pid: number;
  /** `dead` while there is none. */
  state: 'loading' | 'ready' | 'dead';
  /** When it was spawned (ms since the epoch); 0 while there is none. */
  startedAt: number;
  /** Zygotes spawned since the master started, the first and the reloads' included. */
  starts: number;
}

export interface MasterSnapshot {
  pid: number;
  /** Worker ids in use: 1..processes. */
  processes: number;
  /** Requests finished since the master started. */
  totalRequests: number;
  /** Requests waiting in the master for a worker. */
  queued: number;
  paused: boolean;
  /** The listeners, as logged (`127.0.0.1:8000`, `/run/app.sock`). */
  listeners: string[];
  workers: WorkerSnapshot[];
  /** null with lazy-apps: every worker is spawned by the master. */
  zygote: ZygoteSnapshot | null;
}

export function workerSnapshot(worker: Worker, role: WorkerSnapshot['role']): WorkerSnapshot {
  return {
    slot: worker.slot,
    pid: worker.pid,
    state: worker.state,
    role,
    cores: worker.cores,
    requestsServed: worker.requestsServed,
    inflight: [...worker.inflight.values()].map(({ info, dispatchedMs }) => ({
      method: info.method, uri: info.uri, protocol: info.protocol, remoteAddr: info.remoteAddr, sinceMs: dispatchedMs,
    })),
    spawnedAt: worker.spawnedAt,
    readyAt: worker.readyAt,
    coreStates: worker.coreStates(),
  };
}
