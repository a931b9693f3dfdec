// `npm run bench`: runs the scenarios (all, or those named with --scenario), then writes
// latest.md and one SVG chart per scenario to bench/results/ (or --out DIR).
//
//   npm run bench                               # everything, 3 rounds of 4 s
//   npm run bench -- --scenario hello,flask     # some scenarios
//   npm run bench -- --quick                    # 1 round of 1 s, small counts, into the temp dir
import fs from 'node:fs';
import path from 'node:path';
import { findExecutable } from '../test/helpers/peers.ts';
import { renderChart } from './chart.ts';
import { parseOptions, type ScenarioResult } from './harness.ts';
import { renderReport } from './report.ts';
import { scenarios } from './scenarios.ts';

const options = parseOptions(process.argv.slice(2));

const unknown = options.scenarios.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; there are: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const chosen = scenarios.filter((s) => options.scenarios.length === 0 || options.scenarios.includes(s.name));

const missing = new Map<string, string>();
for (const s of chosen) {
  for (const [program, pkg] of Object.entries(s.needs)) if (findExecutable(program) === undefined) missing.set(program, pkg);
}
if (missing.size > 0) {
  console.error(`missing: ${[...missing.keys()].join(', ')}; apt-get install ${[...new Set(missing.values())].join(' ')}`);
  process.exit(1);
}

const started = Date.now();
const results: ScenarioResult[] = [];
for (const s of chosen) {
  console.log(`${s.name}: ${s.title}`);
  results.push(await s.run(options));
}

fs.mkdirSync(options.out, { recursive: true });
for (const r of results) fs.writeFileSync(path.join(options.out, `${r.name}.svg`), await renderChart(r));
const report = renderReport(results, options, (Date.now() - started) / 60_000);
fs.writeFileSync(path.join(options.out, 'latest.md'), report + '\n');
console.log(`\n${report}\nwritten to ${options.out}`);

const failures = results.flatMap((r) => r.contenders.filter((c) => c.failure !== undefined).map((c) => `${r.name}: ${c.name}`));
if (failures.length > 0) {
  console.error(`failed: ${failures.join('; ')}`);
  process.exitCode = 1;
}
