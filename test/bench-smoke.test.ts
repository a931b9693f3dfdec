// Keeps `npm run bench` working: runs the harness in quick mode on two cheap scenarios (a streamed
// response; a static file, nuwsgi's --static-map against nginx) into a temporary directory, and
// checks that it wrote the results table and the charts; then the TLS and h2 scenarios with two of
// their contenders (wrk and h2load over TLS). It measures nothing and asserts no timing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { needNginx } from './helpers/nginx.ts';
import { needExecutable } from './helpers/peers.ts';
import { repoRoot } from './helpers/server.ts';
import { needUwsgi } from './helpers/uwsgi-oracle.ts';
import { tempDir } from './helpers/wire.ts';

/** `npm run bench -- --quick ARGS`, from the build: its exit code and output. */
function quickBench(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'dist', 'bench', 'main.js'), '--quick', ...args],
      { cwd: repoRoot, timeout: 120_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr }));
  });
}

test('npm run bench -- --quick writes the results table and one chart per scenario', async (t) => {
  if (needExecutable(t, 'wrk', 'wrk') === undefined) return;
  if (needExecutable(t, 'gunicorn', 'gunicorn') === undefined) return;
  if (needNginx(t) === undefined || needUwsgi(t) === undefined) return;
  const out = tempDir('nuwsgi-bench-smoke-');
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));

  const run = await quickBench(['--scenario', 'stream,static', '--out', out]);
  assert.equal(run.code, 0, run.output);

  const report = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
  assert.match(report, /^## 100 KiB streamed response/m);
  assert.match(report, /^\| nuwsgi --http \| [\d,]+ req\/s \|/m, 'a measured row for nuwsgi');
  assert.match(report, /^\| nuwsgi --http --static-map \| [\d,]+ req\/s \|.* \| [\d.]+x \|$/m,
    'a measured static file row for nuwsgi, with its ratio to nginx');
  assert.match(report, /^\| static: nuwsgi --http --static-map ≥ 0\.70x nginx \(static files\) \| [\d.]+x /m,
    'the static file target, measured');
  assert.match(report, /^\| target \| measured \|/m);
  assert.match(report, /^\| nuwsgi --http \| master [\d,]+ \+ workers [\d,]+ \| [\d,]+ \|$/m,
    'the CPU per request of the master, the workers and wrk');
  for (const chart of ['stream.svg', 'static.svg']) {
    const svg = fs.readFileSync(path.join(out, chart), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /req\/s<\/text>/, `${chart} labels its bars with their values`);
  }
});

test('the tls and h2 scenarios measure a bare node:http2 responder, and say why nuwsgi --https is not measured if it is not', async (t) => {
  for (const [program, pkg] of [['wrk', 'wrk'], ['h2load', 'nghttp2-client'], ['openssl', 'openssl']] as const) {
    if (needExecutable(t, program, pkg) === undefined) return;
  }
  const out = tempDir('nuwsgi-bench-smoke-tls-');
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));

  const run = await quickBench(['--scenario', 'tls,h2', '--contender', 'node-http2,nuwsgi-https', '--out', out]);
  assert.equal(run.code, 0, run.output);

  const report = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
  for (const title of ['Hello world over TLS 1.3, HTTP/1.1 keep-alive', 'Hello world over h2 (TLS 1.3), 50 clients × 10 streams']) {
    assert.ok(report.includes(`\n## ${title}\n`), `a section for ${title}`);
  }
  const measured = report.match(/^\| bare node:http2, allowHTTP1 \(no Python\) \| [\d,]+ req\/s \|/gm) ?? [];
  assert.equal(measured.length, 2, 'a measured row for the bare node:http2 responder in each scenario');
  // its rows in the scenarios' tables, not in the tables of CPU time by process (`| master N + workers N |`)
  const nuwsgiRows = report.match(/^\| nuwsgi --https \| (?!master )[^|]+ \|/gm) ?? [];
  assert.equal(nuwsgiRows.length, 2, 'a row for nuwsgi --https in each scenario');
  for (const row of nuwsgiRows) {
    assert.match(row, /\| (?:[\d,]+ req\/s|this nuwsgi has no --https option yet|no h2 by ALPN [^|]*) \|$/, 'measured, or why not');
  }
  assert.match(report, /^\| h2: nuwsgi --https ≥ 0\.70x bare node:http2, allowHTTP1 \(no Python\) \| /m, 'the h2 target');
});
