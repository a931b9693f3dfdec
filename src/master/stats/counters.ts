// The one place the master counts what its workers did: per worker id (uWSGI's numbering, kept
// across respawns) and per core. It is fed by the router's finished requests, whichever listener
// served them (the master's HTTP exchanges, the static files it sent, the workers' REQUEST_DONE
// records), by the workers' exception reports and by the arbiter's lifecycle events. The stats
// server, the Prometheus metrics, SIGUSR1's report and `nuwsgi top` (through the stats server) all
// read it; nothing else counts requests.
import type { FinishedRequest } from '../../router/router.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { DurationHistogram } from './durations.ts';

export interface CoreCounters {
  requests: number;
  staticRequests: number;
  routedRequests: number;
  offloadedRequests: number;
  writeErrors: number;
  readErrors: number;
}

/** One worker id's counters. `requests`, `exceptions`, `harakiriCount`, `respawnCount` and `txBytes` survive respawns. */
export interface SlotCounters {
  readonly slot: number;
  requests: number;
  /** Requests since the slot's worker was last spawned. */
  deltaRequests: number;
  exceptions: number;
  harakiriCount: number;
  /** Workers spawned for this id, the first included (as uWSGI counts). */
  respawnCount: number;
  /** Response bytes sent, head and body. */
  txBytes: number;
  /** Summed over its requests, in µs. */
  runningTimeUs: number;
  /** uWSGI's average, in µs: (average + latest) / 2 after each request, from 0. */
  avgRtUs: number;
  /** When its worker was last spawned (ms since the epoch); 0 before the first. */
  lastSpawnMs: number;
  readonly cores: CoreCounters[];
}

/** Why a worker was replaced, as the metrics label it. */
export type RespawnCause = 'crash' | 'load-failed' | 'max-requests' | 'max-lifetime' | 'rss' | 'harakiri' | 'reload';

export class ServerCounters {
  private readonly slots = new Map<number, SlotCounters>();
  /** Requests the master answered without a worker (a refusal: 413, 503 when the queue is full, ...; a redirect to https). */
  answeredByMaster = 0;
  /** Static files the master sent (they have no worker). */
  staticByMaster = 0;
  /** Requests refused because the master's queue was full (503). */
  queueFullRejections = 0;
  readonly respawns = new Map<RespawnCause, number>();
  /** Whole-server and chain reloads, by kind. */
  readonly reloads = new Map<string, number>();
  /** Request durations by method and status class; null unless the metrics asked for it. */
  durations: DurationHistogram | null = null;
  private readonly coresPerWorker: () => number;

  /** `coresPerWorker` is read when a worker id is first seen (threads, or gevent's async cores). */
  constructor(coresPerWorker: () => number) {
    this.coresPerWorker = coresPerWorker;
  }

  /** The counters of worker id `slot`, made on first use. */
  slot(slot: number): SlotCounters {
    let counters = this.slots.get(slot);
    if (counters === undefined) {
      const cores = Array.from({ length: Math.max(1, this.coresPerWorker()) }, emptyCore);
      counters = {
        slot, requests: 0, deltaRequests: 0, exceptions: 0, harakiriCount: 0, respawnCount: 0, txBytes: 0,
        runningTimeUs: 0, avgRtUs: 0, lastSpawnMs: 0, cores,
      };
      this.slots.set(slot, counters);
    }
    return counters;
  }

  /** Every worker id seen, in order. */
  allSlots(): SlotCounters[] {
    return [...this.slots.values()].sort((a, b) => a.slot - b.slot);
  }

  /** The router's observer: one finished request. */
  readonly observe = (request: FinishedRequest): void => {
    const details = request.details();
    const server = request.server;
    if (details === undefined) return;
    this.durations?.observe(details.method, details.status, details.micros);
    if (server === null) {
      this.answeredByMaster++;
      return;
    }
    if (server.slot === 0) {
      this.staticByMaster++;
      return;
    }
    const counters = this.slot(server.slot);
    counters.requests++;
    counters.deltaRequests++;
    counters.txBytes += details.headerBytes + details.bodyBytes;
    counters.runningTimeUs += details.micros;
    counters.avgRtUs = (counters.avgRtUs + details.micros) / 2;
    const core = counters.cores[details.core] ?? counters.cores[0];
    core.requests++;
  };

  /** The app raised for a request of worker id `slot`. */
  exception(slot: number): void {
    this.slot(slot).exceptions++;
  }

  /** Counts the arbiter's events: spawns, respawns and their causes, harakiri, reloads, a full queue. */
  watch(events: Lifecycle): void {
    /** Why the next worker of an id is spawned, once its previous one is known to be going. */
    const nextCause = new Map<number, RespawnCause>();
    events.on('spawn', ({ slot }) => {
      const counters = this.slot(slot);
      counters.respawnCount++;
      if (counters.respawnCount > 1) {
        const cause = nextCause.get(slot) ?? 'reload';
        this.respawns.set(cause, (this.respawns.get(cause) ?? 0) + 1);
      }
      nextCause.delete(slot);
      counters.lastSpawnMs = Date.now();
      counters.deltaRequests = 0;
    });
    events.on('exit', ({ slot, cause }) => {
      if (cause === 'died') nextCause.set(slot, 'crash');
      else if (cause === 'load-failed') nextCause.set(slot, 'load-failed');
    });
    events.on('recycle', ({ slot, reason }) => nextCause.set(slot, recycleCause(reason)));
    events.on('harakiri', ({ slot }) => {
      this.slot(slot).harakiriCount++;
      nextCause.set(slot, 'harakiri');
    });
    events.on('reload', ({ kind }) => this.reloads.set(kind, (this.reloads.get(kind) ?? 0) + 1));
    events.on('queueFull', () => this.queueFullRejections++);
  }
}

function emptyCore(): CoreCounters {
  return { requests: 0, staticRequests: 0, routedRequests: 0, offloadedRequests: 0, writeErrors: 0, readErrors: 0 };
}

/** The recycle event's reason (limits.ts's words) as a cause. */
function recycleCause(reason: string): RespawnCause {
  if (reason.startsWith('max requests')) return 'max-requests';
  if (reason.startsWith('lifetime')) return 'max-lifetime';
  return 'rss';
}
