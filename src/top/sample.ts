// One reading of a stats document, reduced to what the view shows. Tolerant: uWSGI's documents and
// nuwsgi's have the same keys, but a missing or odd value must show as 0 or '-', not crash the view
// (`cores` is left out with stats-no-cores; older uWSGIs lack some keys).

export interface WorkerSample {
  id: number;
  pid: number;
  status: string;
  requests: number;
  /** Average response time, in microseconds. */
  avgRtUs: number;
  tx: number;
  rss: number;
  vsz: number;
  exceptions: number;
  harakiri: number;
  respawns: number;
  /** Cores in a request, of `cores`; undefined without the cores in the document. */
  busyCores: number | undefined;
  cores: number | undefined;
}

/** nuwsgi's zygote, the process the workers are forked from (not in uWSGI's documents). */
export interface ZygoteSample {
  /** 0 while there is none. */
  pid: number;
  status: string;
  rss: number;
}

export interface Sample {
  version: string;
  pid: number;
  listenQueue: number;
  /** The largest backlog of the sockets (their `max_queue`). */
  listenQueueMax: number;
  listenQueueErrors: number;
  load: number;
  workers: WorkerSample[];
  /** Undefined for uWSGI, and for nuwsgi with lazy-apps (`zygote: null`). */
  zygote: ZygoteSample | undefined;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const str = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);
const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Throws when `document` is not a stats document at all. */
export function sampleOf(document: unknown): Sample {
  const doc = record(document);
  if (!Array.isArray(doc.workers)) throw new Error('the answer has no workers (is it a stats server?)');
  const sockets = list(doc.sockets).map(record);
  return {
    version: str(doc.version, '?'),
    pid: num(doc.pid),
    listenQueue: num(doc.listen_queue),
    listenQueueMax: sockets.reduce((max, s) => Math.max(max, num(s.max_queue)), 0),
    listenQueueErrors: num(doc.listen_queue_errors),
    load: num(doc.load),
    workers: list(doc.workers).map(record).map(workerOf),
    zygote: zygoteOf(doc.zygote),
  };
}

function zygoteOf(value: unknown): ZygoteSample | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const z = record(value);
  return { pid: num(z.pid), status: str(z.status, '?'), rss: num(z.rss) };
}

function workerOf(w: Record<string, unknown>): WorkerSample {
  const cores = Array.isArray(w.cores) ? w.cores.map(record) : undefined;
  return {
    id: num(w.id),
    pid: num(w.pid),
    status: str(w.status, '?'),
    requests: num(w.requests),
    avgRtUs: num(w.avg_rt),
    tx: num(w.tx),
    rss: num(w.rss),
    vsz: num(w.vsz),
    exceptions: num(w.exceptions),
    harakiri: num(w.harakiri_count),
    respawns: num(w.respawn_count),
    busyCores: cores?.filter((core) => num(core.in_request) !== 0).length,
    cores: cores?.length,
  };
}
