// What forking the workers from one loaded app buys (the zygote, uWSGI's default, gunicorn
// --preload), on the Django example (bench/apps/django_view.py):
//
// - memory: 4 workers, warmed with 300 requests, then the proportional set size (PSS, from
//   /proc/PID/smaps_rollup) summed over the server's processes. Pages the workers share with the
//   process they were forked from count once, split between them. nuwsgi's Node master is reported
//   apart, with its RSS.
// - respawn: 1 worker, killed with SIGKILL; the time until a request is answered again, which only
//   its replacement can do (requests wait meanwhile: in nuwsgi's master, or in the listen backlog).
import fs from 'node:fs';
import http from 'node:http';
import { childPids } from '../test/helpers/nginx.ts';
import { sleep, tempDir, waitFor } from '../test/helpers/wire.ts';
import { contenders, type ContenderId, type Server, type Setup } from './contenders.ts';
import { processTree } from './cpu.ts';
import type { BenchOptions, ContenderSamples, Sample, Scenario } from './harness.ts';

const MiB = 1024 * 1024;
const APP = 'django_view';
const WARMUP_REQUESTS = 300;
/** The targets of issue "Import the app once": the Python processes' PSS against uWSGI's, the master's RSS, a respawn. */
export const PSS_RATIO_TO_UWSGI = 1.2;
export const MASTER_RSS_LIMIT_MB = 60;
export const RESPAWN_LIMIT_MS = 50;

/** A contender of these scenarios: one of bench/contenders.ts, with options given through the environment. */
interface Variant {
  name: string;
  id: ContenderId;
  env?: Record<string, string>;
  /** Its Node master, not counted with the Python processes (nuwsgi). */
  nodeMaster?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'nuwsgi (zygote)', id: 'nuwsgi', nodeMaster: true },
  { name: 'nuwsgi --lazy-apps', id: 'nuwsgi', env: { UWSGI_LAZY_APPS: '1' }, nodeMaster: true },
  { name: 'uWSGI (preforked)', id: 'uwsgi-http11' },
  { name: 'gunicorn (sync)', id: 'gunicorn-sync' },
  { name: 'gunicorn --preload (sync)', id: 'gunicorn-sync', env: { GUNICORN_CMD_ARGS: '--preload' } },
];

function get(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Bytes of `key` (Pss, Rss) in /proc/PID/smaps_rollup; 0 when the process is gone. */
function rollup(pid: number, key: 'Pss' | 'Rss'): number {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The processes of a server that serve requests: those of its tree without children of their own. */
function workersOf(pid: number): number[] {
  return processTree(pid).filter((p) => p !== pid && childPids(p).length === 0);
}

async function withServer<T>(variant: Variant, processes: number, run: (server: Server) => Promise<T>): Promise<T> {
  const dir = tempDir(`nuwsgi-bench-${APP}-`);
  const setup: Setup = { app: APP, dir, staticDir: dir, processes, threads: 1, ...(variant.env ? { env: variant.env } : {}) };
  const server = await contenders[variant.id].start(setup);
  try {
    await waitFor(async () => (await get(server.url, 5000)) === 200, 30_000, `${variant.name} to answer`, 100);
    return await run(server);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** 300 requests over 4 connections, so that every worker has served some. */
async function warmUp(url: string): Promise<void> {
  let left = WARMUP_REQUESTS;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (left-- > 0) await get(url, 10_000);
  }));
}

async function memorySample(variant: Variant, workers: number): Promise<Sample> {
  return withServer(variant, workers, async (server) => {
    await warmUp(server.url);
    await waitFor(() => workersOf(server.pid).length === workers, 10_000, `${workers} workers`);
    const python = variant.nodeMaster ? processTree(server.pid).filter((p) => p !== server.pid) : processTree(server.pid);
    const serving = workersOf(server.pid);
    const pss = python.reduce((sum, pid) => sum + rollup(pid, 'Pss'), 0) / MiB;
    return {
      pss,
      worker: serving.reduce((sum, pid) => sum + rollup(pid, 'Pss'), 0) / serving.length / MiB,
      rss: serving.reduce((sum, pid) => sum + rollup(pid, 'Rss'), 0) / serving.length / MiB,
      ...(variant.nodeMaster ? { master: rollup(server.pid, 'Rss') / MiB, masterPss: rollup(server.pid, 'Pss') / MiB } : {}),
    };
  });
}

/** Kills the only worker `kills` times; each time, the milliseconds until a request is answered again. */
async function respawnSamples(variant: Variant, kills: number): Promise<Sample[]> {
  return withServer(variant, 1, async (server) => {
    await warmUp(server.url);
    const samples: Sample[] = [];
    for (let i = 0; i < kills; i++) {
      const [worker] = workersOf(server.pid);
      if (worker === undefined) throw new Error('no worker to kill');
      const started = process.hrtime.bigint();
      process.kill(worker, 'SIGKILL');
      // a request that reached the dying worker fails: ask again until one is answered
      while ((await get(server.url, 10_000)) !== 200) await sleep(1);
      samples.push({ respawn: Number(process.hrtime.bigint() - started) / 1e6 });
      // past the respawn throttles (uWSGI's and nuwsgi's count respawns within a second)
      await sleep(1500);
    }
    return samples;
  });
}

async function attempt(name: string, run: () => Promise<Sample[]>): Promise<ContenderSamples> {
  try {
    const samples = await run();
    console.log(`  ${name}: ${samples.map((s) => Object.entries(s).map(([k, v]) => `${k}=${v.toFixed(1)}`).join(' ')).join('; ')}`);
    return { name, samples };
  } catch (err) {
    console.log(`  ${name}: FAILED: ${(err as Error).message}`);
    return { name, samples: [], failure: (err as Error).message.split('\n')[0]! };
  }
}

const NEEDS = { ...contenders['uwsgi-http11'].needs, ...contenders['gunicorn-sync'].needs };

export const memoryScenario: Scenario = {
  name: 'memory',
  title: 'Memory of the Django example with 4 workers (PSS after warm-up)',
  needs: NEEDS,
  async run(options: BenchOptions) {
    const workers = 4;
    const rounds = options.quick ? 1 : options.rounds;
    const contenderSamples: ContenderSamples[] = [];
    for (const variant of VARIANTS) {
      contenderSamples.push(await attempt(variant.name, async () => {
        const samples: Sample[] = [];
        for (let r = 0; r < rounds; r++) samples.push(await memorySample(variant, workers));
        return samples;
      }));
    }
    return {
      name: 'memory',
      title: this.title,
      load: `${workers} workers of bench/apps/${APP}.py, ${WARMUP_REQUESTS} requests over 4 connections, then PSS and RSS ` +
        'from /proc/PID/smaps_rollup; the Python processes are all of the server\'s but nuwsgi\'s Node master (zygote ' +
        `included), whose RSS is reported apart; a fresh server per round; targets: ≤ ${PSS_RATIO_TO_UWSGI}x uWSGI's total, ` +
        `master RSS < ${MASTER_RSS_LIMIT_MB} MB`,
      metrics: [
        { key: 'pss', label: 'Python processes, total PSS', unit: 'MiB', better: 'lower', decimals: 1 },
        { key: 'worker', label: 'PSS per worker', unit: 'MiB', better: 'lower', decimals: 1 },
        { key: 'rss', label: 'RSS per worker', unit: 'MiB', better: 'lower', decimals: 1 },
        { key: 'master', label: 'Node master RSS', unit: 'MiB', better: 'lower', decimals: 1 },
        { key: 'masterPss', label: 'Node master PSS', unit: 'MiB', better: 'lower', decimals: 1 },
      ],
      chart: ['pss'],
      baseline: VARIANTS[2]!.name,
      contenders: contenderSamples,
    };
  },
};

export const respawnScenario: Scenario = {
  name: 'respawn',
  title: 'Respawn: from a worker\'s SIGKILL until its replacement answers (Django example)',
  needs: NEEDS,
  async run(options: BenchOptions) {
    const kills = options.quick ? 2 : 5 * options.rounds;
    const contenderSamples: ContenderSamples[] = [];
    for (const variant of VARIANTS) contenderSamples.push(await attempt(variant.name, () => respawnSamples(variant, kills)));
    return {
      name: 'respawn',
      title: this.title,
      load: `1 worker of bench/apps/${APP}.py, warmed with ${WARMUP_REQUESTS} requests, killed ${kills} times 1.5 s apart; ` +
        'the time from the kill until a GET (retried every millisecond while refused) is answered 200; ' +
        `target: < ${RESPAWN_LIMIT_MS} ms for nuwsgi`,
      metrics: [{ key: 'respawn', label: 'kill -9 to answered', unit: 'ms', better: 'lower', decimals: 1 }],
      chart: ['respawn'],
      baseline: null,
      contenders: contenderSamples,
    };
  },
};
