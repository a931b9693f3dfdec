// Keeps `npm run bench` working: runs the harness in quick mode on two cheap scenarios (a streamed
// response; a static file, nuwsgi's --static-map against nginx) into a temporary directory, and
// checks that it wrote the results table and the charts. It measures nothing and asserts no timing.
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

test('npm run bench -- --quick writes the results table and one chart per scenario', async (t) => {
  if (needExecutable(t, 'wrk', 'wrk') === undefined) return;
  if (needExecutable(t, 'gunicorn', 'gunicorn') === undefined) return;
  if (needNginx(t) === undefined || needUwsgi(t) === undefined) return;
  const out = tempDir('nuwsgi-bench-smoke-');
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));

  const run = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'dist', 'bench', 'main.js'), '--quick', '--scenario', 'stream,static', '--out', out],
      { cwd: repoRoot, timeout: 120_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: stdout + stderr }));
  });
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
