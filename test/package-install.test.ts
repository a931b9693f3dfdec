// The npm package: `npm pack` (its prepack builds from a clean dist/) gives a tarball of the built
// server and the Python worker only, and `npm install -g ./nuwsgi-*.tgz` into a temporary prefix
// installs it with nothing to compile and no install script to run; the installed `nuwsgi` answers
// --version and --help and serves examples/hello. The package is built in a copy of the sources,
// so that this checkout's dist/ is never rebuilt under the other tests.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { missingPeer } from './helpers/peers.ts';
import { repoRoot } from './helpers/server.ts';
import { httpRequest, tempDir, waitFor } from './helpers/wire.ts';

const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

function run(file: string, args: string[], cwd: string, timeoutMs = 240_000): Promise<{ status: number; output: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } },
      (err, stdout, stderr) => resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: `${stdout}${stderr}`, stdout }));
  });
}

/** npm next to this node, as `npm` on PATH would be. */
function npm(): string {
  return path.join(path.dirname(process.execPath), 'npm');
}

/** What `npm pack` reads: the package's own files, and node_modules for the build's compiler. */
function copySources(to: string): void {
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'bin', 'src', 'python']) {
    fs.cpSync(path.join(repoRoot, entry), path.join(to, entry), { recursive: true, filter: (source) => !source.includes('__pycache__') });
  }
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(to, 'node_modules'));
}

async function registryReachable(t: TestContext): Promise<boolean> {
  const ping = await run(npm(), ['ping'], repoRoot, 30_000);
  return ping.status === 0 || missingPeer(t, `the npm registry is not reachable (npm ping: ${ping.output.trim().split('\n').pop()})`);
}

test('npm pack, then npm install -g of the tarball into a temporary prefix: nuwsgi runs from it', { timeout: 300_000 }, async (t) => {
  assert.equal(packageJson.scripts.prepare, undefined, 'no prepare script: npm would count it an install script of the tarball');
  if (!(await registryReachable(t))) return;
  const work = tempDir('nuwsgi-package-');
  const sources = path.join(work, 'sources');
  copySources(sources);
  const packed = await run(npm(), ['pack', '--json', '--pack-destination', work], sources);
  assert.equal(packed.status, 0, packed.output);
  const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const shipped = manifest!.files.map((file) => file.path);
  const outside = shipped.filter((file) => !/^(bin\/|dist\/src\/|python\/nuwsgi_worker\/[\w]+\.py$|python\/nuwsgi_notify\.py$|package\.json$|README\.md$|LICENSE$)/.test(file));
  assert.deepEqual(outside, [], 'only the built server, the Python worker and the notify helper are shipped');
  for (const needed of ['bin/nuwsgi.js', 'dist/src/cli.js', 'python/nuwsgi_worker/main.py', 'python/nuwsgi_notify.py']) {
    assert.ok(shipped.includes(needed), `${needed} is shipped`);
  }
  assert.ok(!shipped.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), 'no TypeScript sources');

  const prefix = path.join(work, 'prefix');
  const installed = await run(npm(), ['install', '-g', `./${manifest!.filename}`, '--prefix', prefix, '--no-audit', '--no-fund'], work);
  assert.equal(installed.status, 0, installed.output);
  assert.doesNotMatch(installed.output, /install-scripts|gyp|prebuild/i, 'nothing to build, no install script');
  const modules = path.join(prefix, 'lib', 'node_modules');
  const native = fs.readdirSync(modules, { recursive: true, encoding: 'utf8' }).filter((file) => /binding\.gyp$|\.node$/.test(file));
  assert.deepEqual(native, [], 'no native addon among the dependencies');

  const nuwsgi = path.join(prefix, 'bin', 'nuwsgi');
  const version = await run(nuwsgi, ['--version'], work, 30_000);
  assert.equal(version.output.trim(), `nuwsgi ${packageJson.version}`);
  const help = await run(nuwsgi, ['--help'], work, 30_000);
  assert.match(help.output, /^Usage: nuwsgi \[OPTIONS\]/);
  assert.match(help.output, /nuwsgi init \[DIR\]/);

  const server = spawn(nuwsgi, ['--http', '127.0.0.1:0', '--wsgi-file', path.join(repoRoot, 'examples', 'hello', 'app.py')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  server.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  t.after(() => { if (server.exitCode === null) server.kill('SIGKILL'); });
  await waitFor(() => /nuwsgi is ready/.test(output), 20_000, `the installed nuwsgi to be ready; output:\n${output}`);
  const port = /HTTP listening on 127\.0\.0\.1:(\d+)/.exec(output)![1];
  const page = await httpRequest(`http://127.0.0.1:${port}/`);
  assert.equal(page.status, 200);
  assert.match(output, new RegExp(`worker 1 \\(pid: \\d+\\) ready: file '${path.join(repoRoot, 'examples', 'hello', 'app.py')}'`));
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
});
