// The Prometheus metrics, with prom-client. The `uwsgi_*` families carry uwsgi_exporter's names,
// types and labels, so that dashboards built on it work unchanged; the `nuwsgi_*` families add what
// uWSGI's stats cannot give (durations by method and status class, the master's queue, respawns by
// cause, reloads); prom-client adds the Node process's own. Every value is read at scrape time from
// the same stats input the stats server writes (the counters and the master's state).
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { DURATION_BUCKETS_S, type DurationHistogram } from './durations.ts';
import type { ServerCounters } from './counters.ts';
import type { StatsInput, WorkerStats } from './stats-json.ts';

type Labels = Record<string, string>;
type Sample = [labels: Labels, value: number];

/** What a scrape reads: the stats input, built once per scrape, and the live numbers the stats lack. */
export interface MetricsSources {
  input(): StatsInput;
  counters: ServerCounters;
  /** Requests waiting in the master for a worker. */
  queued(): number;
}

const US = 1e6;

export class Metrics {
  private readonly registry = new Registry();
  /** The input of the scrape in progress. */
  private current: StatsInput | undefined;

  constructor(sources: MetricsSources, durations: DurationHistogram) {
    collectDefaultMetrics({ register: this.registry });
    const exported = (): StatsInput => (this.current ??= sources.input());
    const workers = (): WorkerStats[] => exported().workers;
    const worker = (w: WorkerStats): Labels => ({ worker_id: String(w.counters.slot) });
    const perWorker = (value: (w: WorkerStats) => number) => (): Sample[] => workers().map((w) => [worker(w), value(w)]);
    const status = (w: WorkerStats): string => (w.live === undefined || !w.live.ready ? 'cheap' : w.live.cores.some((c) => c.inRequest) ? 'busy' : 'idle');

    this.gauge('uwsgi_up', 'Whether the uWSGI server is up.', [], () => [[{}, 1]]);
    this.gauge('uwsgi_listen_queue_length', 'Length of listen queue.', [],
      () => [[{}, exported().sockets.reduce((max, s) => Math.max(max, s.queue), 0)]]);
    this.gauge('uwsgi_listen_queue_errors', 'Number of listen queue errors.', [], () => [[{}, exported().listenQueueErrors]]);
    this.gauge('uwsgi_signal_queue_length', 'Length of signal queue.', [], () => [[{}, 0]]);
    this.gauge('uwsgi_workers', 'Number of workers.', [], () => [[{}, workers().length]]);
    const socket = (value: (s: StatsInput['sockets'][number]) => number) => (): Sample[] =>
      exported().sockets.map((s) => [{ name: s.name, proto: s.proto }, value(s)]);
    this.gauge('uwsgi_socket_queue_length', 'Length of socket queue.', ['name', 'proto'], socket((s) => s.queue));
    this.gauge('uwsgi_socket_max_queue_length', 'Max length of socket queue.', ['name', 'proto'], socket((s) => s.maxQueue));
    this.gauge('uwsgi_socket_shared', 'Is shared socket?', ['name', 'proto'], socket(() => 0));
    this.gauge('uwsgi_socket_can_offload', 'Can socket offload?', ['name', 'proto'], socket(() => 0));

    const w = ['worker_id'];
    this.gauge('uwsgi_worker_accepting', 'Is this worker accepting requests?', w, perWorker((x) => Number(x.live?.accepting ?? false)));
    this.gauge('uwsgi_worker_delta_requests', 'Number of delta requests', w, perWorker((x) => x.counters.deltaRequests));
    this.gauge('uwsgi_worker_signal_queue_length', 'Length of signal queue.', w, perWorker(() => 0));
    this.gauge('uwsgi_worker_rss_bytes', 'Worker RSS bytes.', w, perWorker((x) => x.live?.memory?.rss ?? 0));
    this.gauge('uwsgi_worker_vsz_bytes', 'Worker VSZ bytes.', w, perWorker((x) => x.live?.memory?.vsz ?? 0));
    this.gauge('uwsgi_worker_running_time_seconds', 'Worker running time in seconds.', w, perWorker((x) => x.counters.runningTimeUs / US));
    this.gauge('uwsgi_worker_last_spawn_time_seconds', 'Last spawn time in seconds since epoch.', w,
      perWorker((x) => Math.floor(x.counters.lastSpawnMs / 1000)));
    this.gauge('uwsgi_worker_average_response_time_seconds', 'Average response time in seconds.', w, perWorker((x) => x.counters.avgRtUs / US));
    this.gauge('uwsgi_worker_apps', 'Number of apps.', w, perWorker(() => exported().mountpoints.length));
    this.gauge('uwsgi_worker_cores', 'Number of cores.', w, perWorker((x) => x.counters.cores.length));
    for (const s of ['busy', 'idle', 'cheap']) {
      this.gauge(`uwsgi_worker_${s}`, `Is core in ${s}`, w, perWorker((x) => Number(status(x) === s)));
    }
    this.counter('uwsgi_worker_requests_total', 'Total number of requests.', w, perWorker((x) => x.counters.requests));
    this.counter('uwsgi_worker_exceptions_total', 'Total number of exceptions.', w, perWorker((x) => x.counters.exceptions));
    this.counter('uwsgi_worker_harakiri_count_total', 'Total number of harakiri count.', w, perWorker((x) => x.counters.harakiriCount));
    this.counter('uwsgi_worker_signals_total', 'Total number of signals.', w, perWorker(() => 0));
    this.counter('uwsgi_worker_respawn_count_total', 'Total number of respawn count.', w, perWorker((x) => x.counters.respawnCount));
    this.counter('uwsgi_worker_transmitted_bytes_total', 'Worker transmitted bytes.', w, perWorker((x) => x.counters.txBytes));

    const app = ['worker_id', 'app_id', 'mountpoint', 'chdir'];
    const perApp = (value: (x: WorkerStats) => number) => (): Sample[] => workers().flatMap((x) =>
      exported().mountpoints.map((mountpoint, id): Sample => [{ ...worker(x), app_id: String(id), mountpoint, chdir: '' }, value(x)]));
    const single = (): boolean => exported().mountpoints.length === 1;
    this.gauge('uwsgi_worker_app_startup_time_seconds', 'How long this app took to start.', app,
      perApp((x) => (x.live !== undefined && x.live.readyAtMs > 0 ? Math.floor((x.live.readyAtMs - x.live.spawnedAtMs) / 1000) : 0)));
    this.counter('uwsgi_worker_app_requests_total', 'Total number of requests.', app, perApp((x) => (single() ? x.counters.deltaRequests : 0)));
    this.counter('uwsgi_worker_app_exceptions_total', 'Total number of exceptions.', app, perApp((x) => (single() ? x.counters.exceptions : 0)));

    const core = ['worker_id', 'core_id'];
    const perCore = (value: (x: WorkerStats, id: number) => number) => (): Sample[] => workers().flatMap((x) =>
      x.counters.cores.map((_, id): Sample => [{ ...worker(x), core_id: String(id) }, value(x, id)]));
    this.gauge('uwsgi_worker_core_busy', 'Is core busy', core, perCore((x, id) => Number(x.live?.cores[id]?.inRequest ?? false)));
    const coreCounters = [['requests', 'requests'], ['static_requests', 'staticRequests'], ['routed_requests', 'routedRequests'],
      ['offloaded_requests', 'offloadedRequests'], ['write_errors', 'writeErrors'], ['read_errors', 'readErrors']] as const;
    for (const [name, field] of coreCounters) {
      this.counter(`uwsgi_worker_core_${name}_total`, `Total number of ${name.replace('_', ' ')}.`, core,
        perCore((x, id) => x.counters.cores[id][field]));
    }

    const counters = sources.counters;
    this.gauge('nuwsgi_requests_in_flight', 'Requests the workers are running now.', [],
      () => [[{}, workers().reduce((n, x) => n + (x.live?.cores.filter((c) => c.inRequest).length ?? 0), 0)]]);
    this.gauge('nuwsgi_queue_length', 'Requests waiting in the master for a worker.', [], () => [[{}, sources.queued()]]);
    this.counter('nuwsgi_queue_full_rejections_total', 'Requests refused with 503 because the queue was full.', [],
      () => [[{}, counters.queueFullRejections]]);
    this.counter('nuwsgi_worker_respawns_total', 'Workers replaced, by cause.', ['cause'],
      () => [...counters.respawns].map(([cause, n]): Sample => [{ cause }, n]));
    this.counter('nuwsgi_reloads_total', 'Reloads, by kind.', ['kind'], () => [...counters.reloads].map(([kind, n]): Sample => [{ kind }, n]));
    this.counter('nuwsgi_master_static_requests_total', 'Static files the master sent.', [], () => [[{}, counters.staticByMaster]]);
    this.counter('nuwsgi_master_answered_requests_total', 'Requests the master answered without a worker (refusals, redirects to https).', [],
      () => [[{}, counters.answeredByMaster]]);
    this.gauge('nuwsgi_zygote_rss_bytes', 'RSS bytes of the zygote the workers are forked from (0 while there is none, and with lazy-apps).', [],
      () => [[{}, exported().zygote?.memory?.rss ?? 0]]);
    this.counter('nuwsgi_zygote_starts_total', 'Zygotes spawned, the first and the reloads\' included (0 with lazy-apps).', [],
      () => [[{}, exported().zygote?.starts ?? 0]]);
    this.registry.registerMetric(durationMetric(durations));
  }

  /** The exposition text, and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    this.current = undefined;
    try {
      return { text: await this.registry.metrics(), contentType: this.registry.contentType };
    } finally {
      this.current = undefined;
    }
  }

  private gauge(name: string, help: string, labelNames: string[], samples: () => Sample[]): void {
    new Gauge({ name, help, labelNames, registers: [this.registry], collect() {
      this.reset();
      for (const [labels, value] of samples()) this.set(labels, value);
    } });
  }

  private counter(name: string, help: string, labelNames: string[], samples: () => Sample[]): void {
    new Counter({ name, help, labelNames, registers: [this.registry], collect() {
      this.reset();
      for (const [labels, value] of samples()) this.inc(labels, value);
    } });
  }
}

/** nuwsgi_request_duration_seconds, from the counters' histogram, in the shape prom-client writes. */
function durationMetric(durations: DurationHistogram): Metric {
  const name = 'nuwsgi_request_duration_seconds';
  const help = 'Request durations, by method and status class.';
  const metric = {
    name, help, type: 'histogram',
    get: async () => ({
      name, help, type: 'histogram', aggregator: 'sum',
      values: durations.all().flatMap((series) => {
        const labels = { method: series.method, status_class: series.statusClass };
        let cumulative = 0;
        const buckets = DURATION_BUCKETS_S.map((le, i) => {
          cumulative += series.counts[i];
          return { labels: { ...labels, le }, value: cumulative, metricName: `${name}_bucket` };
        });
        return [
          ...buckets,
          { labels: { ...labels, le: '+Inf' }, value: series.count, metricName: `${name}_bucket` },
          { labels, value: series.sumSeconds, metricName: `${name}_sum` },
          { labels, value: series.count, metricName: `${name}_count` },
        ];
      }),
    }),
  };
  return metric as unknown as Metric;
}
