// bench/results/latest.md: what was run on what machine, a table per scenario (medians, min–max,
// ratios to nuwsgi) with its chart, and the targets with the ratios measured.
import os from 'node:os';
import { contenders } from './contenders.ts';
import { median, type BenchOptions, type ContenderSamples, type Metric, type ScenarioResult } from './harness.ts';
import { BUSY_LIMIT_MS, MASTER_RSS_LIMIT_MIB } from './download.ts';
import { RSS_LIMIT_MIB } from './transfer.ts';
import { MASTER_RSS_LIMIT_MB, PSS_RATIO_TO_UWSGI, RESPAWN_LIMIT_MS } from './memory.ts';

export function formatNumber(x: number, decimals: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

const values = (c: ContenderSamples, key: string) => c.samples.map((s) => s[key]!).filter(Number.isFinite);

/** The median of a contender's metric, or undefined if it has none. */
function medianOf(result: ScenarioResult | undefined, contender: string, key: string): number | undefined {
  const c = result?.contenders.find((x) => x.name === contender);
  const xs = c ? values(c, key) : [];
  return xs.length === 0 ? undefined : median(xs);
}

function cell(c: ContenderSamples, m: Metric): string {
  const xs = values(c, m.key);
  if (xs.length === 0) return '—';
  const unit = m.unit ? ` ${m.unit}` : '';
  if (m.total) return formatNumber(xs.reduce((a, b) => a + b, 0), m.decimals);
  const range = xs.length > 1 ? ` (${formatNumber(Math.min(...xs), m.decimals)}–${formatNumber(Math.max(...xs), m.decimals)})` : '';
  return `${formatNumber(median(xs), m.decimals)}${unit}${range}`;
}

function table(result: ScenarioResult): string[] {
  const main = result.metrics[0]!;
  const baseline = result.baseline === undefined ? contenders.nuwsgi.name : result.baseline;
  const base = baseline === null ? undefined : medianOf(result, baseline, main.key);
  const ratio = base !== undefined;
  const head = ['contender', ...result.metrics.map((m) => `${m.label}${m.total ? ' (total)' : ', median (min–max)'}`),
    ...(ratio ? [`${main.label} ÷ ${baseline === contenders.nuwsgi.name ? 'nuwsgi' : baseline}`] : [])];
  const rows = result.contenders.map((c) => {
    if (c.unsupported !== undefined || c.failure !== undefined) {
      const why = c.unsupported ?? `failed: ${c.failure!.replaceAll('|', '\\|')}`;
      return [c.name, why, ...result.metrics.slice(1).map(() => ''), ...(ratio ? [''] : [])];
    }
    const mine = medianOf(result, c.name, main.key);
    return [c.name, ...result.metrics.map((m) => cell(c, m)),
      ...(ratio ? [mine === undefined ? '—' : `${formatNumber(mine / base, 2)}x`] : [])];
  });
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
}

/**
 * Server CPU per request split by process group (nginx, master, workers...), for scenarios that
 * measure it, next to the load generator's: on a 2-core machine they share, the sum is the budget.
 */
function cpuSplit(result: ScenarioResult): string[] {
  if (!result.metrics.some((m) => m.key === 'cpu')) return [];
  const micros = (c: ContenderSamples, key: string) => {
    const xs = values(c, key);
    return xs.length === 0 ? '—' : formatNumber(median(xs), 0);
  };
  const rows = result.contenders.filter((c) => c.samples.length > 0).map((c) => {
    const groups = Object.keys(c.samples[0]!).filter((k) => k.startsWith('cpu.'));
    const parts = groups.map((k) => `${k.slice(4)} ${micros(c, k)}`);
    return `| ${c.name} | ${parts.join(' + ')} | ${micros(c, 'clientCpu')} |`;
  });
  return ['', '| contender | server CPU per request by process, µs (median) | the load generator\'s CPU per request, µs (median) |',
    '|---|---|---|', ...rows];
}

interface Verdict {
  measured: string;
  /** Undefined for a ratio that is reported without a target. */
  met?: boolean;
  /** How far off, when missed. */
  gap?: string;
}

interface Target {
  scenario: string;
  text: string;
  check(result: ScenarioResult): Verdict | undefined;
}

/**
 * `a`'s median main metric ÷ `b`'s: at least `bound` for a metric where higher is better
 * (throughput), at most `bound` for a latency (`hello: A ≥ 0.90x B`, `latency: A's p50 ≤ 1.20x B's`).
 */
function ratio(scenario: string, a: string, b: string, bound: number, latency = false): Target {
  return {
    scenario,
    text: latency
      ? `${scenario}: ${a}'s p50 ≤ ${formatNumber(bound, 2)}x ${b}'s`
      : `${scenario}: ${a} ≥ ${formatNumber(bound, 2)}x ${b}`,
    check(result) {
      const metric = result.metrics[0]!;
      const [x, y] = [medianOf(result, a, metric.key), medianOf(result, b, metric.key)];
      if (x === undefined || y === undefined) return undefined;
      const r = x / y;
      return {
        measured: `${formatNumber(r, 2)}x (${formatNumber(x, metric.decimals)} vs ${formatNumber(y, metric.decimals)} ${metric.unit})`,
        met: latency ? r <= bound : r >= bound,
        gap: latency
          ? `${formatNumber(r / bound, 2)}x over the target`
          : `${formatNumber(r / bound * 100, 0)}% of the target; ${formatNumber(bound / r, 2)}x faster needed`,
      };
    },
  };
}

/** `a`'s median main metric ÷ `b`'s, reported with no target to meet (e.g. nuwsgi's h2 against nginx's). */
function reported(scenario: string, a: string, b: string): Target {
  return {
    scenario,
    text: `${scenario}: ${a} against ${b} (reported, no target)`,
    check(result) {
      const { measured } = ratio(scenario, a, b, 1).check(result) ?? {};
      return measured === undefined ? undefined : { measured };
    },
  };
}

/** `contender`'s median of the metric `key` below `limit`, e.g. the worker busy for < 10 ms. */
function below(scenario: string, contender: string, key: string, limit: number, text: string): Target {
  return {
    scenario,
    text: `${scenario}: ${contender}, ${text}`,
    check(result) {
      const metric = result.metrics.find((m) => m.key === key)!;
      const x = medianOf(result, contender, key);
      if (x === undefined) return undefined;
      return {
        measured: `${formatNumber(x, metric.decimals)} ${metric.unit}`,
        met: x < limit,
        gap: `${formatNumber(x - limit, metric.decimals)} ${metric.unit} over`,
      };
    },
  };
}

/** `a`'s median of the main metric ÷ `b`'s at most `bound` (memory: the smaller, the better). */
function atMost(scenario: string, a: string, b: string, bound: number): Target {
  return {
    scenario,
    text: `${scenario}: ${a} ≤ ${formatNumber(bound, 2)}x ${b}`,
    check(result) {
      const metric = result.metrics[0]!;
      const [x, y] = [medianOf(result, a, metric.key), medianOf(result, b, metric.key)];
      if (x === undefined || y === undefined) return undefined;
      return {
        measured: `${formatNumber(x / y, 2)}x (${formatNumber(x, metric.decimals)} vs ${formatNumber(y, metric.decimals)} ${metric.unit})`,
        met: x / y <= bound,
        gap: `${formatNumber(x - y * bound, metric.decimals)} ${metric.unit} over`,
      };
    },
  };
}

const n = contenders;
const targets: Target[] = [
  ratio('hello', n.nuwsgi.name, n['uwsgi-http'].name, 2.0),
  ratio('hello', n.nuwsgi.name, n['gunicorn-sync'].name, 2.5),
  ratio('hello', n['nginx-nuwsgi'].name, n['nginx-uwsgi'].name, 0.9),
  ratio('hello', n.nuwsgi.name, n.node.name, 0.85),
  ratio('flask', n.nuwsgi.name, n['uwsgi-http11'].name, 1.1),
  ratio('flask', n['nginx-nuwsgi'].name, n['nginx-uwsgi'].name, 0.9),
  ratio('static', n['nuwsgi-static'].name, n['nginx-static'].name, 0.7),
  ratio('logging', n['nuwsgi-log'].name, n.nuwsgi.name, 0.9),
  ratio('logging', n['nuwsgi-log-json'].name, n.nuwsgi.name, 0.9),
  ratio('logging', n['nginx-nuwsgi-log'].name, n['nginx-nuwsgi'].name, 0.9),
  ratio('post', n.nuwsgi.name, n['gunicorn-gthread'].name, 1.0),
  ratio('tls', n['nuwsgi-https'].name, n['nginx-tls-uwsgi'].name, 0.8),
  ratio('tls', n['nuwsgi-https'].name, n['uwsgi-https'].name, 2.0),
  ratio('h2', n['nuwsgi-https'].name, n['node-http2'].name, 0.7),
  reported('h2', n['nuwsgi-https'].name, n['nginx-tls-uwsgi'].name),
  ratio('h2', n['nuwsgi-https'].name, n['uwsgi-https'].name, 2.0),
  ratio('latency', n['nginx-nuwsgi'].name, n['nginx-uwsgi'].name, 1.2, true),
  ratio('latency-flask', n['nginx-nuwsgi'].name, n['nginx-uwsgi'].name, 1.2, true),
  {
    scenario: 'slow',
    text: `slow: ${n.nuwsgi.name}, the normal client's p99 < 50 ms and 0 errors`,
    check(result) {
      const c = result.contenders.find((x) => x.name === n.nuwsgi.name);
      if (c === undefined || c.samples.length === 0) return undefined;
      const p99 = medianOf(result, n.nuwsgi.name, 'p99');
      if (p99 === undefined) return { measured: 'no answer at all', met: false, gap: 'the normal client was not served' };
      const errors = values(c, 'errors').reduce((a, b) => a + b, 0);
      const misses = [...(p99 >= 50 ? [`p99 ${formatNumber(p99 - 50, 1)} ms over`] : []), ...(errors > 0 ? [`${errors} errors`] : [])];
      return { measured: `p99 ${formatNumber(p99, 2)} ms, ${errors} errors`, met: misses.length === 0, gap: misses.join(', ') };
    },
  },
  atMost('memory', 'nuwsgi (zygote)', 'uWSGI (preforked)', PSS_RATIO_TO_UWSGI),
  below('memory', 'nuwsgi (zygote)', 'master', MASTER_RSS_LIMIT_MB, `the Node master's RSS < ${MASTER_RSS_LIMIT_MB} MiB`),
  below('respawn', 'nuwsgi (zygote)', 'respawn', RESPAWN_LIMIT_MS, `a replacement answers < ${RESPAWN_LIMIT_MS} ms after its predecessor's SIGKILL`),
  below('download', n.nuwsgi.name, 'busy', BUSY_LIMIT_MS, `the worker kept busy < ${BUSY_LIMIT_MS} ms by the download`),
  below('download', n.nuwsgi.name, 'master', MASTER_RSS_LIMIT_MIB, `master RSS growth < ${MASTER_RSS_LIMIT_MIB} MiB during the download`),
  {
    scenario: 'transfer',
    text: `transfer: RSS growth < ${RSS_LIMIT_MIB} MiB in the master and the worker`,
    check(result) {
      const peaks = result.contenders.flatMap((c) => c.samples.flatMap((s) => [s.master!, s.worker!]));
      if (peaks.length === 0 || result.contenders.some((c) => c.samples.length === 0)) return undefined;
      const worst = Math.max(...peaks);
      return {
        measured: `largest growth ${formatNumber(worst, 1)} MiB`,
        met: worst < RSS_LIMIT_MIB,
        gap: `${formatNumber(worst - RSS_LIMIT_MIB, 1)} MiB over`,
      };
    },
  },
];

function targetLines(results: ScenarioResult[]): string[] {
  const rows = targets.map((t) => {
    const result = results.find((r) => r.name === t.scenario);
    const v = result && t.check(result);
    if (v === undefined) return `| ${t.text} | not measured in this run | — | |`;
    const verdict = v.met === undefined ? '' : v.met ? 'met' : '**missed**';
    return `| ${t.text} | ${v.measured} | ${verdict} | ${v.met === false ? v.gap ?? '' : ''} |`;
  });
  return ['| target | measured | | by how much |', '|---|---|---|---|', ...rows];
}

export function renderReport(results: ScenarioResult[], options: BenchOptions, minutes: number): string {
  const cpus = os.cpus();
  return [
    '# nuwsgi benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()}, in ${formatNumber(minutes, 1)} minutes` +
      `${options.quick ? ' (**quick mode**: 1 short round, small counts; checks that the harness works, measures nothing)' : ''}.`,
    '',
    `Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${formatNumber(os.totalmem() / 1024 ** 3, 0)} GiB, ` +
      `Linux ${os.release()}, Node ${process.version}. Every contender runs on loopback with ${options.processes} worker ` +
      `process(es) and ${options.threads} thread(s) per process where the server has threads, the Python ones under ` +
      '/usr/bin/python3, with request logging off; the load generator runs on the same machine.',
    '',
    '## Targets',
    '',
    ...targetLines(results),
    '',
    ...results.flatMap((r) => [
      `## ${r.title}`,
      '',
      `\`--scenario ${r.name}\`: ${r.load}.`,
      '',
      ...table(r),
      ...cpuSplit(r),
      '',
      `![${r.title}](${r.name}.svg)`,
      '',
    ]),
  ].join('\n');
}
