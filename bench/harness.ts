// What every benchmark shares: the command line, running wrk, and the interleaved rounds whose
// samples end up in the results table.
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/helpers/server.ts';

export interface BenchOptions {
  /** The scenarios asked for with `--scenario` (repeatable, or comma-separated); empty: all. */
  scenarios: string[];
  /** The contenders asked for with `--contender` (their ids in bench/contenders.ts); empty: every one of a scenario. */
  contenders: string[];
  /** 1 round, 1 s measurements, no warm-up, small counts: to check the harness works, not to measure. */
  quick: boolean;
  rounds: number;
  /** Seconds of each measurement. */
  duration: number;
  /** Seconds of load given to each contender once, before the first round (JIT, caches). */
  warmup: number;
  /** Where latest.md and the charts go: bench/results/, or in quick mode the temp directory. */
  out: string;
  /** Worker processes of every contender, and threads per process where the server has them. */
  processes: number;
  threads: number;
}

const USAGE = `usage: npm run bench -- [--scenario NAME[,NAME...]] [--contender ID[,ID...]] [--quick] [--rounds N]
                           [--duration S] [--warmup S] [--out DIR] [--processes N] [--threads N]`;

/** The options, or exits with the usage on a bad command line. */
export function parseOptions(argv: string[]): BenchOptions {
  try {
    return readOptions(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

function readOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      contender: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
      processes: { type: 'string', default: '2' },
      threads: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: string, text: string | undefined, fallback: number) => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a whole number, not ${text}`);
    return n;
  };
  const quick = values.quick;
  return {
    scenarios: (values.scenario ?? []).flatMap((s) => s.split(',')).filter((s) => s !== ''),
    contenders: (values.contender ?? []).flatMap((s) => s.split(',')).filter((s) => s !== ''),
    quick,
    rounds: Math.max(1, count('rounds', values.rounds, quick ? 1 : 3)),
    duration: Math.max(1, count('duration', values.duration, quick ? 1 : 4)),
    warmup: count('warmup', values.warmup, quick ? 0 : 1),
    out: path.resolve(values.out ?? (quick ? path.join(os.tmpdir(), 'nuwsgi-bench-quick') : path.join(repoRoot, 'bench', 'results'))),
    processes: Math.max(1, count('processes', values.processes, 2)),
    threads: Math.max(1, count('threads', values.threads, 1)),
  };
}

/** One measurement: named numbers (req/s, latencies in ms, error counts...). */
export type Sample = Record<string, number>;

export interface WrkLoad {
  connections: number;
  seconds: number;
  /** A Lua script for wrk's `-s` (e.g. to POST a body). */
  script?: string;
  /** Seconds before a request counts as a timeout (wrk's default is 2). */
  timeout?: number;
  /** Headers sent with every request (`Name: value`). */
  headers?: string[];
}

/**
 * What wrk measured: `rps`, `p50` and `p99` (ms; NaN when nothing was answered), `errors` (socket
 * errors plus non-2xx/3xx answers), and `busy`, the connections that were being answered on
 * average (req/s × mean latency, Little's law; at most the connection count, which wrk's latency
 * outliers can push it over). wrk counts no error for a connection that never
 * gets an answer (a server that serves one connection per worker at a time leaves the others
 * waiting), so `busy` well below the connection count is what shows it. `clientCpu` is wrk's own
 * CPU time per request, in µs: on a machine it shares with the server, what the server cannot use.
 */
export function wrk(url: string, load: WrkLoad): Promise<Sample> {
  const args = ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--latency',
    ...(load.timeout === undefined ? [] : ['--timeout', `${load.timeout}s`]),
    ...(load.script === undefined ? [] : ['-s', load.script]), ...(load.headers ?? []).flatMap((h) => ['-H', h]), url];
  return new Promise((resolve, reject) => {
    // bash's `times` prints the CPU time of the shell's children (wrk) once wrk has exited
    execFile('bash', ['-c', 'wrk "$@"; status=$?; times >&2; exit $status', 'wrk', ...args],
      { timeout: (load.seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`)); return; }
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      if (!rps) { reject(new Error(`no Requests/sec in wrk's output:\n${stdout}`)); return; }
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
      const answered = requests > 0;
      const clientCpu = childCpuSeconds(stderr);
      const mean = /^\s+Latency\s+([\d.]+)(us|ms|s|m)\s/m.exec(stdout);
      resolve({
        rps: Number(rps[1]),
        p50: answered ? percentile(stdout, '50') : NaN,
        p99: answered ? percentile(stdout, '99') : NaN,
        busy: answered && mean ? Math.min(load.connections, Number(rps[1]) * Number(mean[1]) * MS_PER_UNIT[mean[2]!]! / 1000) : 0,
        errors: (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
        ...(answered && clientCpu !== undefined ? { clientCpu: clientCpu / requests * 1e6 } : {}),
      });
    });
  });
}

/** Milliseconds per unit of a duration as wrk and h2load print it (`1.23ms`). */
export const MS_PER_UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** The children's user + system seconds from the last line of bash's `times` (`0m1.234s 0m0.567s`). */
function childCpuSeconds(stderr: string): number | undefined {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stderr);
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : undefined;
}

/** A line of wrk's "Latency Distribution" (`    99%    1.23ms`), in milliseconds. */
function percentile(stdout: string, p: string): number {
  const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(stdout);
  return m ? Number(m[1]) * MS_PER_UNIT[m[2]!]! : NaN;
}

export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** A contender as a round sees it: running, with a way to measure it once. */
export interface Measurable {
  name: string;
  measure(): Promise<Sample>;
}

/** Samples per contender, or why it has none. */
export interface ContenderSamples {
  name: string;
  samples: Sample[];
  /** Set when a measurement failed: the contender is not measured in later rounds. */
  failure?: string;
  /** Set for a contender that cannot run this scenario (e.g. a feature nuwsgi does not have yet). */
  unsupported?: string;
}

/**
 * Measures every contender once per round, in the same order every round (A B A B ...), so that
 * the machine's noise falls on all of them alike.
 */
export async function interleave(rounds: number, contenders: Measurable[]): Promise<ContenderSamples[]> {
  const results: ContenderSamples[] = contenders.map((c) => ({ name: c.name, samples: [] }));
  for (let r = 1; r <= rounds; r++) {
    for (const [i, c] of contenders.entries()) {
      const result = results[i]!;
      if (result.failure !== undefined) continue;
      try {
        const sample = await c.measure();
        result.samples.push(sample);
        console.log(`  round ${r}/${rounds}: ${c.name}: ${describe(sample)}`);
      } catch (err) {
        result.failure = (err as Error).message.split('\n')[0]!;
        console.log(`  round ${r}/${rounds}: ${c.name}: FAILED: ${(err as Error).message}`);
      }
    }
  }
  return results;
}

function describe(sample: Sample): string {
  return Object.entries(sample).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`).join(' ');
}

/** A number a scenario reports for each contender. */
export interface Metric {
  /** Its key in the samples. */
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  decimals: number;
  /** Reported as the sum over the rounds (error counts), not as a median and range. */
  total?: boolean;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** How the load was made, for the results file. */
  load: string;
  /** The first is the scenario's main figure: the ratio column and the targets use it. */
  metrics: Metric[];
  /** The keys of the metrics drawn in the chart. */
  chart: string[];
  /**
   * The contender (its name) the ratio column divides by: nuwsgi --http when not set (the column is
   * left out when that contender is not in the scenario), none when null.
   */
  baseline?: string | null;
  contenders: ContenderSamples[];
}

export interface Scenario {
  name: string;
  title: string;
  /** The programs it runs (its contenders' included), with their Debian packages. */
  needs: Record<string, string>;
  run(options: BenchOptions): Promise<ScenarioResult>;
}
