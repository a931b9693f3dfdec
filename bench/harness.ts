// What every throughput benchmark shares: its command-line numbers, running wrk against a URL,
// and the table of medians written to bench/results/.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test/helpers/server.ts';

/** `--name N` from the command line, or the fallback. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

/** Requests per second wrk measured; rejects if wrk saw errors or non-2xx answers. */
export function wrk(url: string, connections: number, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], (err, stdout) => {
      if (err) { reject(err); return; }
      const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      if (!m || /Non-2xx|Socket errors/.test(stdout)) { reject(new Error(`wrk reported errors:\n${stdout}`)); return; }
      resolve(Number(m[1]));
    });
  });
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs each contender once per round, in the same order every round (A B A B ...), so that the
 * machine's noise falls on all of them alike. `measure` starts a contender, measures, stops it.
 */
export async function interleave(rounds: number, names: string[], measure: (name: string) => Promise<number>) {
  const results = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const name of names) {
      const rps = await measure(name);
      results.get(name)!.push(rps);
      console.log(`round ${r}: ${name}: ${rps.toFixed(0)} req/s`);
    }
  }
  return results;
}

/** The table of medians with ratios to `baseline`, printed and written to bench/results/FILE. */
export function writeResults(file: string, title: string, results: Map<string, number[]>, baseline: string, notes: string[]): void {
  const base = median(results.get(baseline)!);
  const lines = [
    title,
    '',
    `| contender | median req/s | min–max | ratio to ${baseline} |`,
    '|---|---|---|---|',
    ...[...results.entries()].map(([name, xs]) =>
      `| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${(median(xs) / base).toFixed(2)} |`),
    '',
    ...notes,
  ];
  console.log('\n' + lines.join('\n'));
  const out = path.join(repoRoot, 'bench', 'results', file);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, lines.join('\n') + '\n');
}
