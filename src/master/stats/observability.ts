// What watches the master from outside: the counters (counters.ts), fed from the router and the
// arbiter's events, and the servers that read them: `stats` (uWSGI's stats JSON, and /metrics with
// `stats-http`) and `metrics` (Prometheus over HTTP). The arbiter makes one at start and binds its
// servers with the listeners, so that an address in use stops the start as a listener's does.
import http from 'node:http';
import type { Config } from '../../config/config.ts';
import { packageVersion } from '../../config/version.ts';
import { bindServer, type BoundSocket } from '../../listeners/bind.ts';
import { parseSocketAddress } from '../../listeners/address.ts';
import { log } from '../../observe/log.ts';
import type { Router } from '../../router/router.ts';
import type { Lifecycle, MasterSnapshot } from '../lifecycle.ts';
import { StartupError } from '../startup-error.ts';
import { ServerCounters } from './counters.ts';
import { DurationHistogram } from './durations.ts';
import { processMemory } from './memory.ts';
import type { Metrics } from './metrics.ts';
import { statsDocument, type SocketStats, type StatsInput, type WorkerStats } from './stats-json.ts';
import { StatsServer } from './stats-server.ts';

/** Slow or idle metrics clients are dropped after this. */
const METRICS_TIMEOUT_MS = 10_000;
/** The backlog of the stats and metrics servers: a few scrapers, not the public. */
const BACKLOG = 64;

/** What the servers read of the master. */
export interface ObservedMaster {
  snapshot(): MasterSnapshot;
  sockets(): SocketStats[];
}

export class Observability {
  readonly counters: ServerCounters;
  /** The configuration running now (a reload changes it; the addresses stay those of the start). */
  private readonly running: () => Config;
  private metrics: Metrics | null = null;
  /** The histogram of request durations, kept only when the metrics are served. */
  private readonly durations: DurationHistogram | null = null;
  private stats: StatsServer | null = null;
  private metricsServer: { server: http.Server; bound: BoundSocket } | null = null;
  private master: ObservedMaster | undefined;

  constructor(running: () => Config, router: Router, events: Lifecycle, coresPerWorker: () => number) {
    this.running = running;
    const config = running();
    this.counters = new ServerCounters(coresPerWorker);
    router.observe(this.counters.observe);
    this.counters.watch(events);
    if (config.metrics !== undefined || (config.stats !== undefined && config.statsHttp)) {
      this.durations = new DurationHistogram();
      this.counters.durations = this.durations;
    }
  }

  /** Binds the stats and metrics servers the configuration asks for. Throws StartupError. */
  async start(master: ObservedMaster): Promise<void> {
    this.master = master;
    const config = this.running();
    if (this.durations !== null) {
      // prom-client costs the master about 12 MiB of memory: it is loaded only when metrics are served
      const { Metrics } = await import('./metrics.ts');
      this.metrics = new Metrics({
        input: () => this.input(),
        counters: this.counters,
        queued: () => this.master?.snapshot().queued ?? 0,
      }, this.durations);
    }
    if (config.stats !== undefined) {
      const stats = new StatsServer({
        address: config.stats,
        http: config.statsHttp,
        minified: () => this.running().statsMinified,
        document: () => statsDocument(this.input(), !this.running().statsNoCores),
        metrics: this.metrics === null ? null : () => this.metrics!.scrape(),
      });
      const label = await bindOrFail('stats', config.stats, () => stats.listen(BACKLOG));
      this.stats = stats;
      log(`stats server${config.statsHttp ? ' (HTTP)' : ''} listening on ${label}`);
    }
    if (config.metrics !== undefined && this.metrics !== null) {
      const server = metricsServer(this.metrics);
      const bound = await bindOrFail('metrics', config.metrics,
        () => bindServer(server, parseSocketAddress(config.metrics!), { backlog: BACKLOG, mode: undefined, owner: undefined }));
      this.metricsServer = { server, bound };
      log(`Prometheus metrics on http://${bound.label}/metrics`);
    }
  }

  /** Closes the servers; with vacuum, removes their unix socket files. */
  close(vacuum: boolean): void {
    this.stats?.close(vacuum);
    if (this.metricsServer !== null) {
      this.metricsServer.server.close();
      this.metricsServer.server.closeAllConnections();
      if (vacuum) this.metricsServer.bound.removeFile();
    }
  }

  /** What the stats document and the metrics are made from, now. */
  private input(): StatsInput {
    const config = this.running();
    const snapshot = this.master!.snapshot();
    const serving = new Map(snapshot.workers.filter((w) => w.role === 'serving').map((w) => [w.slot, w]));
    const workers: WorkerStats[] = [];
    for (let slot = 1; slot <= snapshot.processes; slot++) {
      const w = serving.get(slot);
      const live = w === undefined || w.state === 'dead' ? undefined : {
        pid: w.pid,
        ready: w.state === 'ready',
        accepting: w.state === 'ready' && !snapshot.paused,
        readyAtMs: w.readyAt,
        spawnedAtMs: w.spawnedAt,
        cores: w.coreStates,
        memory: processMemory(w.pid),
      };
      workers.push({ counters: this.counters.slot(slot), live });
    }
    return {
      version: packageVersion(),
      pid: process.pid,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      cwd: process.cwd(),
      paused: snapshot.paused,
      listenQueueErrors: this.counters.queueFullRejections,
      sockets: this.master!.sockets(),
      workers,
      mountpoints: config.mounts.length === 0 ? [''] : config.mounts.map((mount) => mount.mountpoint),
      zygote: snapshot.zygote === null ? null : {
        pid: snapshot.zygote.pid,
        state: snapshot.zygote.state,
        startedAtMs: snapshot.zygote.startedAt,
        starts: snapshot.zygote.starts,
        memory: snapshot.zygote.pid === 0 ? undefined : processMemory(snapshot.zygote.pid),
      },
    };
  }
}

/** Binds with `bind`, turning its failure into the line that stops the start. */
async function bindOrFail<T>(option: string, address: string, bind: () => Promise<T>): Promise<T> {
  try {
    return await bind();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StartupError(`cannot listen on --${option} ${address}: ${e.code ?? ''} ${e.message}`.replace('  ', ' '));
  }
}

/** The HTTP server of `--metrics`: GET /metrics, nothing else. */
function metricsServer(metrics: Metrics): http.Server {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 Not Found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'GET, HEAD' }).end('405 Method Not Allowed\n');
      return;
    }
    metrics.scrape().then(({ text, contentType }) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    }, (err: Error) => {
      log(`metrics: cannot collect: ${err.message}`);
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('500 Internal Server Error\n');
    });
  });
  server.maxConnections = BACKLOG;
  server.requestTimeout = METRICS_TIMEOUT_MS;
  server.headersTimeout = METRICS_TIMEOUT_MS;
  server.keepAliveTimeout = METRICS_TIMEOUT_MS;
  server.timeout = METRICS_TIMEOUT_MS;
  return server;
}
