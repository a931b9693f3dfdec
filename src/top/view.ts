// What `nuwsgi top` shows, as lines of plain text: a pure function of two samples (the previous one
// gives the rates), the time between them, and the screen's size. Every line fits in `columns`, and
// there are fewer lines than `rows`, so that the terminal never scrolls; workers that do not fit are
// counted on the last line.
import type { Sample, WorkerSample } from './sample.ts';

export interface ViewInput {
  /** The address read, as given. */
  address: string;
  previous: Sample | undefined;
  current: Sample;
  /** Seconds between the previous sample and this one. */
  intervalS: number;
  /** The screen's size; Infinity for no limit (output that is not a terminal). */
  columns: number;
  rows: number;
}

interface Column {
  title: string;
  width: number;
  /** Left-aligned (text) rather than right-aligned (numbers). */
  left?: boolean;
  value(worker: WorkerSample, rate: number | undefined): string;
}

const COLUMNS: Column[] = [
  { title: 'WID', width: 4, value: (w) => String(w.id) },
  { title: 'PID', width: 8, value: (w) => (w.pid === 0 ? '-' : String(w.pid)) },
  { title: 'STATUS', width: 7, left: true, value: (w) => w.status },
  { title: 'REQ', width: 9, value: (w) => String(w.requests) },
  { title: 'REQ/S', width: 8, value: (_w, rate) => (rate === undefined ? '-' : formatRate(rate)) },
  { title: 'AVG ms', width: 8, value: (w) => formatMs(w.avgRtUs) },
  { title: 'TX', width: 7, value: (w) => humanBytes(w.tx) },
  { title: 'RSS', width: 7, value: (w) => humanBytes(w.rss) },
  { title: 'VSZ', width: 7, value: (w) => humanBytes(w.vsz) },
  { title: 'EXC', width: 5, value: (w) => String(w.exceptions) },
  { title: 'HARA', width: 5, value: (w) => String(w.harakiri) },
  { title: 'RESP', width: 5, value: (w) => String(w.respawns) },
  { title: 'BUSY', width: 6, value: (w) => (w.cores === undefined ? '-' : `${w.busyCores ?? 0}/${w.cores}`) },
];

/** The frame for one sample. */
export function renderView(input: ViewInput): string[] {
  const { previous, current } = input;
  const rates = current.workers.map((worker) => workerRate(previous, worker, input.intervalS));
  const known = rates.filter((rate): rate is number => rate !== undefined);
  const totalRate = previous === undefined || known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
  const totalRequests = current.workers.reduce((n, w) => n + w.requests, 0);
  const respawns = current.workers.reduce((n, w) => n + Math.max(0, w.respawns - 1), 0);
  const zygote = current.zygote === undefined ? ''
    : current.zygote.pid === 0 ? ` - zygote - ${current.zygote.status}`
      : ` - zygote ${current.zygote.pid} ${current.zygote.status} ${humanBytes(current.zygote.rss)}`;
  const header = [
    `${input.address} - version ${current.version} - pid ${current.pid} - workers ${current.workers.length}${zygote}`,
    `req/s ${totalRate === undefined ? '-' : formatRate(totalRate)} - requests ${totalRequests} - ` +
      `listen queue ${current.listenQueue}/${current.listenQueueMax} (refused ${current.listenQueueErrors}) - ` +
      `respawns ${respawns} - load ${current.load}`,
    '',
    COLUMNS.map((column) => cell(column.title, column)).join(' '),
  ];
  const rows = current.workers.map((worker, i) =>
    COLUMNS.map((column) => cell(column.value(worker, rates[i]), column)).join(' '));
  return fit([...header, ...rows], header.length, input.columns, input.rows);
}

/** The frame while the server cannot be read: the problem, then the last frame, if any. */
export function renderError(address: string, message: string, last: string[], columns: number, rows: number): string[] {
  const lines = [`cannot read stats from ${address}: ${message} (retrying)`, ...(last.length > 0 ? ['', ...last] : [])];
  return fit(lines, lines.length, columns, rows);
}

/**
 * At most `rows - 1` lines of at most `columns` characters. When the lines after the first `fixed`
 * do not fit, the last line says how many were left out.
 */
export function fit(lines: string[], fixed: number, columns: number, rows: number): string[] {
  const width = Math.max(1, Math.floor(columns));
  const room = Math.max(1, Math.floor(rows) - 1);
  let shown = lines;
  if (lines.length > room) {
    const hidden = lines.length - (room - 1);
    shown = room <= fixed ? lines.slice(0, room) : [...lines.slice(0, room - 1), `... ${hidden} more (a taller terminal shows them)`];
  }
  return shown.map((line) => (line.length > width ? line.slice(0, width) : line));
}

/** Requests per second of `worker` since `previous`; undefined without a previous sample of it. */
function workerRate(previous: Sample | undefined, worker: WorkerSample, intervalS: number): number | undefined {
  const before = previous?.workers.find((w) => w.id === worker.id);
  if (before === undefined || !(intervalS > 0)) return undefined;
  // uWSGI starts a respawned worker's requests again at 0.
  const delta = worker.requests >= before.requests ? worker.requests - before.requests : worker.requests;
  return delta / intervalS;
}

function cell(text: string, column: Column): string {
  const clipped = text.length > column.width ? text.slice(0, column.width) : text;
  return column.left === true ? clipped.padEnd(column.width) : clipped.padStart(column.width);
}

export function formatRate(rate: number): string {
  return rate >= 1000 ? String(Math.round(rate)) : rate.toFixed(1);
}

/** Microseconds as milliseconds: 0.42, 12.3, 1500. */
export function formatMs(us: number): string {
  const ms = us / 1000;
  if (ms >= 1000) return String(Math.round(ms));
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** 512B, 1.5K, 23.4M, 118M, 2.0G (powers of 1024). */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.max(0, Math.round(bytes))}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 100 ? value.toFixed(1) : String(Math.round(value))}${units[unit]}`;
}
