// Request durations by method and status class, in Prometheus's cumulative buckets: what
// uwsgi_exporter cannot give, since uWSGI's stats have only an average per worker.

/** Upper bounds in seconds: prom-client's defaults, which dashboards expect. */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The methods labelled as themselves; any other is `other`, so a client cannot make series at will. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

export interface DurationSeries {
  method: string;
  statusClass: string;
  /** Requests per bucket (not cumulative); the last entry counts those above every bound. */
  readonly counts: number[];
  sumSeconds: number;
  count: number;
}

export class DurationHistogram {
  private readonly series = new Map<string, DurationSeries>();

  observe(method: string, status: number, micros: number): void {
    const m = METHODS.has(method) ? method : 'other';
    const statusClass = status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
    const key = m + ' ' + statusClass;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { method: m, statusClass, counts: new Array<number>(DURATION_BUCKETS_S.length + 1).fill(0), sumSeconds: 0, count: 0 };
      this.series.set(key, series);
    }
    const seconds = micros / 1e6;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS_S.length && seconds > DURATION_BUCKETS_S[bucket]) bucket++;
    series.counts[bucket]++;
    series.sumSeconds += seconds;
    series.count++;
  }

  all(): DurationSeries[] {
    return [...this.series.values()];
  }
}
