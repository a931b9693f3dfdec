// uWSGI's stats document (core/master_utils.c uwsgi_master_generate_stats), with the same keys, in
// the same order, every number an integer: uwsgitop reads it, and uwsgi_exporter decodes it into
// Go integers, which refuse a fraction. A pure function of what the master knows now. nuwsgi adds
// one key after uWSGI's, `zygote` (uWSGI's master is its own zygote), which their readers ignore.
import type { SlotCounters } from './counters.ts';
import type { ProcessMemory } from './memory.ts';

export interface SocketStats {
  name: string;
  proto: 'uwsgi' | 'http';
  /** Connections (uwsgi sockets) or requests (HTTP listeners: the master's queue) waiting. */
  queue: number;
  maxQueue: number;
}

/** What one core is doing now. */
export interface CoreState {
  inRequest: boolean;
  /** When its request started (ms since the epoch); 0 when idle. */
  requestStartMs: number;
}

/** A worker id: its counters, and the worker serving it now, if any. */
export interface WorkerStats {
  counters: SlotCounters;
  /** Undefined while no worker serves the id (it is being respawned). */
  live?: {
    pid: number;
    ready: boolean;
    accepting: boolean;
    /** When it reported ready (ms since the epoch); 0 while loading. */
    readyAtMs: number;
    spawnedAtMs: number;
    cores: CoreState[];
    memory: ProcessMemory | undefined;
  };
}

/** The zygote the workers are forked from now (0 and `dead` while there is none). */
export interface ZygoteStats {
  pid: number;
  state: 'loading' | 'ready' | 'dead';
  startedAtMs: number;
  /** Zygotes spawned since the master started, the first included. */
  starts: number;
  memory: ProcessMemory | undefined;
}

export interface StatsInput {
  version: string;
  pid: number;
  uid: number;
  gid: number;
  cwd: string;
  paused: boolean;
  /** Requests refused because the queue was full. */
  listenQueueErrors: number;
  sockets: SocketStats[];
  workers: WorkerStats[];
  /** The apps every worker runs: mountpoints ('' for the one app). */
  mountpoints: string[];
  /** null with lazy-apps. */
  zygote: ZygoteStats | null;
}

const int = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
const flag = (b: boolean): number => (b ? 1 : 0);

/** The document; `cores` false leaves the cores out (stats-no-cores). */
export function statsDocument(input: StatsInput, cores = true): Record<string, unknown> {
  const listenQueue = input.sockets.reduce((max, s) => Math.max(max, s.queue), 0);
  return {
    version: input.version,
    listen_queue: int(listenQueue),
    listen_queue_errors: int(input.listenQueueErrors),
    signal_queue: 0,
    load: int(listenQueue),
    pid: input.pid,
    uid: input.uid,
    gid: input.gid,
    cwd: input.cwd,
    sockets: input.sockets.map((s) => ({
      name: s.name, proto: s.proto, queue: int(s.queue), max_queue: int(s.maxQueue), shared: 0, can_offload: 0,
    })),
    workers: input.workers.map((worker) => workerDocument(worker, input, cores)),
    zygote: input.zygote === null ? null : zygoteDocument(input.zygote),
  };
}

/** Named as a worker's fields are; `status` is `cheap` while there is none, as for a worker id. */
function zygoteDocument(zygote: ZygoteStats): Record<string, unknown> {
  return {
    pid: zygote.pid,
    status: zygote.state === 'dead' ? 'cheap' : zygote.state,
    rss: int(zygote.memory?.rss ?? 0),
    vsz: int(zygote.memory?.vsz ?? 0),
    last_spawn: int(zygote.startedAtMs / 1000),
    respawn_count: int(zygote.starts),
  };
}

function workerDocument({ counters, live }: WorkerStats, input: StatsInput, withCores: boolean): Record<string, unknown> {
  const busy = live?.cores.some((core) => core.inRequest) ?? false;
  const status = live === undefined || !live.ready ? 'cheap' : input.paused ? 'pause' : busy ? 'busy' : 'idle';
  const startupS = live !== undefined && live.readyAtMs > 0 ? (live.readyAtMs - live.spawnedAtMs) / 1000 : 0;
  const document: Record<string, unknown> = {
    id: counters.slot,
    pid: live?.pid ?? 0,
    accepting: flag(live?.accepting ?? false),
    requests: int(counters.requests),
    delta_requests: int(counters.deltaRequests),
    exceptions: int(counters.exceptions),
    harakiri_count: int(counters.harakiriCount),
    signals: 0,
    signal_queue: 0,
    status,
    rss: int(live?.memory?.rss ?? 0),
    vsz: int(live?.memory?.vsz ?? 0),
    running_time: int(counters.runningTimeUs),
    last_spawn: int(counters.lastSpawnMs / 1000),
    respawn_count: int(counters.respawnCount),
    tx: int(counters.txBytes),
    avg_rt: int(counters.avgRtUs),
    apps: input.mountpoints.map((mountpoint, id) => ({
      id,
      modifier1: 0,
      mountpoint,
      startup_time: int(startupS),
      // Per-app counts are not kept; with one app, the worker's are its.
      requests: input.mountpoints.length === 1 ? int(counters.deltaRequests) : 0,
      exceptions: input.mountpoints.length === 1 ? int(counters.exceptions) : 0,
      chdir: '',
    })),
  };
  if (withCores) {
    document.cores = counters.cores.map((core, id) => {
      const state = live?.cores[id];
      const inRequest = state?.inRequest ?? false;
      return {
        id,
        requests: int(core.requests),
        static_requests: int(core.staticRequests),
        routed_requests: int(core.routedRequests),
        offloaded_requests: int(core.offloadedRequests),
        write_errors: int(core.writeErrors),
        read_errors: int(core.readErrors),
        in_request: flag(inRequest),
        vars: [],
        req_info: inRequest && state !== undefined ? { request_start: int(state.requestStartMs / 1000) } : {},
      };
    });
  }
  return document;
}
