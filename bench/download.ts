// A 1 GiB download through wsgi.file_wrapper from a server with one worker process, and what it
// costs the server: how long the worker is kept busy by it (a server that hands the file to its
// master or the kernel is free again at once; one that sends it from the worker is busy for the
// whole download), how much the master's resident set grows, and the rate.
//
// Each round starts every contender afresh (so that "before" is the same for all), downloads the
// file once while a second client asks for / until it is answered, and stops the contender.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { processTree } from './cpu.ts';
import { rssSampler, sleep, tempDir, waitFor, within } from '../test/helpers/wire.ts';
import { contenders, type ContenderId, type Setup } from './contenders.ts';
import { interleave, median, type BenchOptions, type Measurable, type Metric, type Sample, type Scenario } from './harness.ts';

/** The targets for nuwsgi: the worker free again within 10 ms, the master grown by less than 32 MiB. */
export const BUSY_LIMIT_MS = 10;
export const MASTER_RSS_LIMIT_MIB = 32;

const MiB = 1024 * 1024;
const DOWNLOAD_CONTENDERS: ContenderId[] = ['nuwsgi', 'uwsgi-http-socket', 'gunicorn-gthread'];
/** Requests to / timed before the download; their median is the baseline. */
const BASELINE_REQUESTS = 10;
/** A request to / not answered by then is given up and sent again on a new connection. */
const PROBE_ATTEMPT_MS = 2_000;
/** The slowest download waited for: 1 GiB at about 10 MiB/s. */
const DOWNLOAD_TIMEOUT_MS = 100_000;

const metrics: Metric[] = [
  { key: 'busy', label: 'worker busy by the download', unit: 'ms', better: 'lower', decimals: 1 },
  { key: 'master', label: 'master RSS growth', unit: 'MiB', better: 'lower', decimals: 1 },
  { key: 'workers', label: 'worker RSS growth', unit: 'MiB', better: 'lower', decimals: 1 },
  { key: 'rate', label: 'download rate', unit: 'MiB/s', better: 'higher', decimals: 0 },
  { key: 'received', label: 'bytes received', unit: '', better: 'higher', decimals: 0 },
  { key: 'baseline', label: 'baseline / latency', unit: 'ms', better: 'lower', decimals: 2 },
];

/** VmRSS and VmHWM (its peak so far) of `pid` in bytes, from /proc/PID/status. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rss: kB('VmRSS'), hwm: kB('VmHWM') };
}

/**
 * GET `url` on a connection of its own. Resolves with the milliseconds until a 200 answer was read
 * in full, or undefined on an error, another status, or no answer within `timeoutMs` (the
 * connection is then closed).
 */
function timedGet(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode === 200 ? Number(process.hrtime.bigint() - started) / 1e6 : undefined);
      });
      res.on('error', () => undefined);
    });
    const timer = setTimeout(() => { req.destroy(); resolve(undefined); }, timeoutMs);
    req.on('error', () => { clearTimeout(timer); resolve(undefined); });
  });
}

/**
 * Asks for `url` until it is answered (a new connection each time: after an error, or after
 * PROBE_ATTEMPT_MS without an answer); resolves with the milliseconds from the first attempt to the
 * answer. Rejects after `timeoutMs`, or when `cancelled()` turns true.
 */
async function firstAnswer(url: string, timeoutMs: number, cancelled: () => boolean): Promise<number> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cancelled()) throw new Error('cancelled');
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${url} was not answered within ${timeoutMs / 1000} s of the download's head`);
    if ((await timedGet(url, Math.min(PROBE_ATTEMPT_MS, left))) !== undefined) {
      return Number(process.hrtime.bigint() - started) / 1e6;
    }
    await sleep(1);
  }
}

/**
 * GETs `url` and reads the body as it comes, counting it; calls `onHead` once the head has arrived.
 * Resolves with the bytes received and the seconds from the request to the body's end.
 */
function download(url: string, timeoutMs: number, onHead: () => void): Promise<{ received: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let received = 0;
    const req = http.get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(new Error(`${url} answered ${res.statusCode}`));
        return;
      }
      onHead();
      res.on('data', (c: Buffer) => { received += c.length; });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ received, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new Error(`the download was cut short after ${received} bytes`)));
    });
    const fail = (err: Error) => { clearTimeout(timer); req.destroy(); reject(err); };
    const timer = setTimeout(() => fail(new Error(`the download took over ${timeoutMs / 1000} s (${received} bytes arrived)`)), timeoutMs);
    req.on('error', fail);
  });
}

/**
 * One round for one contender: starts it, waits until / answers, times BASELINE_REQUESTS requests
 * to / one after the other, then downloads /file while sampling the RSS of the process it started
 * (the master) and of that process's children (the workers), and asks for / from the moment the
 * download's head has arrived until it is answered.
 */
async function measureOnce(id: ContenderId, setup: Setup, bytes: number): Promise<Sample> {
  const server = await contenders[id].start(setup);
  let done = false;
  let probe: Promise<number> | undefined;
  try {
    const hello = `${server.url}/`;
    await waitFor(async () => (await timedGet(hello, 5_000)) !== undefined, 30_000, `${hello} to answer 200`, 100);
    const latencies: number[] = [];
    for (let i = 0; i < BASELINE_REQUESTS; i++) {
      const ms = await timedGet(hello, 5_000);
      if (ms === undefined) throw new Error(`${hello} did not answer before the download`);
      latencies.push(ms);
    }
    const baseline = median(latencies);

    const master = server.pid;
    // the Python processes, whether children of the master or (forked from a zygote) grandchildren
    const workers = processTree(master).slice(1);
    const before = memory(master);
    const workersBefore = workers.reduce((sum, pid) => sum + memory(pid).rss, 0);
    const sampler = rssSampler([master, ...workers], 20);
    let result: { received: number; seconds: number };
    let peaks: Map<number, number>;
    try {
      result = await download(`${server.url}/file`, DOWNLOAD_TIMEOUT_MS, () => {
        probe = firstAnswer(hello, DOWNLOAD_TIMEOUT_MS + 10_000, () => done);
        probe.catch(() => undefined);
      });
    } finally {
      peaks = sampler.stop();
    }
    const after = memory(master);
    if (result.received !== bytes) throw new Error(`${result.received} bytes arrived of ${bytes}`);
    const answeredAfter = await probe!;
    // VmHWM above its value before is the master's peak during the download, sampled or not;
    // otherwise the peak was below the one it had before, and the samples are what there is.
    const masterPeak = after.hwm > before.hwm ? after.hwm : Math.max(peaks.get(master) ?? before.rss, before.rss);
    const workersPeak = workers.reduce((sum, pid) => sum + (peaks.get(pid) ?? 0), 0);
    return {
      busy: Math.max(0, answeredAfter - baseline),
      master: (masterPeak - before.rss) / MiB,
      workers: Math.max(0, workersPeak - workersBefore) / MiB,
      rate: result.received / MiB / result.seconds,
      received: result.received,
      baseline,
    };
  } finally {
    done = true;
    await server.stop();
    // a probe still asking (the download failed) gives up at its next attempt
    if (probe !== undefined) await within(probe.catch(() => 0), PROBE_ATTEMPT_MS + 1_000);
  }
}

function describeLoad(options: BenchOptions, size: string): string {
  return `one ${size} download of a sparse file through wsgi.file_wrapper (bench/apps/download.py), 1 worker process ` +
    `and ${options.threads} thread(s) where the server has threads, each contender started afresh in each of ` +
    `${options.rounds} interleaved round(s). Worker busy: from the download's response head, requests to / on ` +
    `another connection until one is answered; its latency minus the median of ${BASELINE_REQUESTS} requests to / ` +
    'before the download (a server that sends the file from the worker answers after the whole download). RSS of the ' +
    'process started (nuwsgi\'s master, uWSGI\'s master, gunicorn\'s arbiter) and of its children sampled every 20 ms, ' +
    'growth = peak (VmHWM when it rose) − VmRSS before; the rate is the client\'s, from the request to the last byte';
}

export const downloadScenario: Scenario = {
  name: 'download',
  title: 'Download offload: 1 GiB through wsgi.file_wrapper, one worker',
  needs: Object.assign({}, ...DOWNLOAD_CONTENDERS.map((id) => contenders[id].needs)) as Record<string, string>,
  async run(options) {
    const bytes = (options.quick ? 32 : 1024) * MiB;
    const size = bytes >= 1024 * MiB ? `${bytes / 1024 / MiB} GiB` : `${bytes / MiB} MiB`;
    const dir = tempDir('nuwsgi-bench-download-');
    try {
      // Sparse: it reads as zeros from the page cache, so the figures are the server's, not the disk's.
      const file = path.join(dir, 'download.bin');
      fs.closeSync(fs.openSync(file, 'w'));
      fs.truncateSync(file, bytes);
      const setup: Setup = {
        app: 'download', dir, staticDir: dir, processes: 1, threads: options.threads,
        env: { NUWSGI_BENCH_DOWNLOAD: file },
      };
      const chosen = DOWNLOAD_CONTENDERS.filter((id) => options.contenders.length === 0 || options.contenders.includes(id));
      const measurable: Measurable[] = chosen.map((id) => ({ name: contenders[id].name, measure: () => measureOnce(id, setup, bytes) }));
      return {
        name: 'download',
        title: this.title.replace('1 GiB', size),
        load: describeLoad(options, size),
        metrics,
        chart: ['busy'],
        baseline: null,
        contenders: await interleave(options.rounds, measurable),
      };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
