// The peer policy. Some tests need software from outside this repository: Debian's Flask and
// Django (for /usr/bin/python3), a virtualenv made from that interpreter, and later uwsgi, nginx,
// gunicorn. When a peer is missing:
//   - on a developer machine the test is skipped, and the skip says what to install;
//   - in CI (`CI=true`, as .ci/run sets up) the test fails, so that a missing package can never
//     pass silently as a green run.
//
// Usage, at the top of a test:
//
//   if (!(await needPythonModule(t, 'flask', 'python3-flask'))) return;
//   const venv = await systemVenv(t);
//   if (venv === undefined) return;
//   const nginx = needExecutable(t, 'nginx', 'nginx');
//   if (nginx === undefined) return;
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { isExecutable } from '../../src/master/python.ts';

/** The interpreter Debian's python3-* packages install for. */
export const systemPython = '/usr/bin/python3';

/** True when running under CI, where a missing peer is an error rather than a skip. */
export function inCI(): boolean {
  return process.env.CI === 'true';
}

/** Thrown (in CI only) for a peer the test needs but the machine lacks. */
export class MissingPeerError extends Error {
  override name = 'MissingPeerError';
}

/**
 * Reports a missing peer: skips the test with `reason` on a developer machine, throws in CI.
 * Always returns false, so callers can write `return missingPeer(t, '...')`.
 */
export function missingPeer(t: TestContext, reason: string): false {
  if (inCI()) {
    throw new MissingPeerError(`${reason} (CI=true: a missing peer fails the run instead of skipping)`);
  }
  t.skip(reason);
  return false;
}

interface RunResult {
  ok: boolean;
  output: string;
}

function run(file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ ok: err === null, output: `${stdout}${stderr}`.trim() || (err ? err.message : '') });
    });
  });
}

const moduleChecks = new Map<string, Promise<RunResult>>();

/** Whether `python -c 'import module'` succeeds (cached per interpreter and module). */
function canImport(python: string, module: string): Promise<RunResult> {
  const key = `${python}\0${module}`;
  let check = moduleChecks.get(key);
  if (check === undefined) {
    check = isExecutable(python)
      ? run(python, ['-c', `import ${module}`])
      : Promise.resolve({ ok: false, output: `${python}: not found` });
    moduleChecks.set(key, check);
  }
  return check;
}

/**
 * Checks that the system Python is there; otherwise skips (or, in CI, fails) the test.
 * Returns whether the test can go on.
 */
export async function needSystemPython(t: TestContext): Promise<boolean> {
  if (isExecutable(systemPython)) return true;
  return missingPeer(t, `${systemPython} is not installed: apt-get install python3`);
}

/**
 * Checks that `module` imports in /usr/bin/python3 (e.g. `flask`, shipped by `debianPackage`
 * `python3-flask`); otherwise skips (or, in CI, fails) the test. Returns whether the test can go on.
 */
export async function needPythonModule(t: TestContext, module: string, debianPackage: string): Promise<boolean> {
  if (!(await needSystemPython(t))) return false;
  const result = await canImport(systemPython, module);
  if (result.ok) return true;
  return missingPeer(t, `${debianPackage} is not installed: apt-get install ${debianPackage}`);
}

/** The path of the program `name` on PATH or in /usr/local/sbin, /usr/sbin and /usr/bin, or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/usr/bin'];
  return dirs.filter((dir) => dir !== '').map((dir) => path.join(dir, name)).find(isExecutable);
}

/**
 * Finds the program `name` (e.g. `nginx`, `uwsgi`, `wrk`) on PATH or in /usr/sbin and /usr/bin;
 * if it is missing, skips (or, in CI, fails) the test. Returns its path, or undefined.
 */
export function needExecutable(t: TestContext, name: string, debianPackage: string): string | undefined {
  const found = findExecutable(name);
  if (found !== undefined) return found;
  missingPeer(t, `${debianPackage} is not installed (no ${name} on PATH): apt-get install ${debianPackage}`);
  return undefined;
}

type VenvResult = { ok: true; dir: string } | { ok: false; reason: string };

const venvs = new Map<string, Promise<VenvResult>>();

/**
 * Where the shared test virtualenv lives: one per user and system Python version, in os.tmpdir().
 * The same path is reused by every test file of a run (and by later runs) once it is complete.
 */
async function venvPath(): Promise<string | undefined> {
  const version = await run(systemPython, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  if (!version.ok) return undefined;
  const real = fs.realpathSync(systemPython);
  const hash = crypto.createHash('sha256').update(real).digest('hex').slice(0, 8);
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `nuwsgi-test-venv-${user}-py${version.output}-${hash}`);
}

/** A complete virtualenv at `dir`, owned by us, whose interpreter starts. */
async function usableVenv(dir: string): Promise<boolean> {
  try {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory()) return false;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return false;
  } catch {
    return false;
  }
  const python = path.join(dir, 'bin', 'python3');
  if (!fs.existsSync(path.join(dir, 'pyvenv.cfg')) || !isExecutable(python)) return false;
  return (await run(python, ['-c', 'import sys; assert sys.prefix != sys.base_prefix'])).ok;
}

async function createVenv(): Promise<VenvResult> {
  const dir = await venvPath();
  if (dir === undefined) return { ok: false, reason: `${systemPython} does not run: apt-get install python3` };
  if (await usableVenv(dir)) return { ok: true, dir };

  // Build it under a private name, then rename it into place: concurrent test files either win
  // the rename or find the other's complete virtualenv. A virtualenv can be moved as long as its
  // own scripts (activate, pip) are not used; the tests only run bin/python3.
  const staging = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const made = await run(systemPython, ['-m', 'venv', '--system-site-packages', '--without-pip', staging]);
  if (!made.ok) {
    fs.rmSync(staging, { recursive: true, force: true });
    const last = made.output.split('\n').pop();
    if (/No module named '?venv|ensurepip|python3(\.\d+)?-venv/.test(made.output)) {
      return { ok: false, reason: `python3-venv is not installed (${systemPython} -m venv failed: ${last}): apt-get install python3-venv` };
    }
    return { ok: false, reason: `could not create a virtualenv at ${dir} (${systemPython} -m venv failed: ${last})` };
  }
  try {
    if (fs.existsSync(dir) && !(await usableVenv(dir))) fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!(await usableVenv(dir))) {
      return { ok: false, reason: `could not create a virtualenv at ${dir}: ${(err as Error).message}` };
    }
  }
  return { ok: true, dir };
}

/**
 * The path of a virtualenv made with `/usr/bin/python3 -m venv --system-site-packages`, so that
 * Debian's python3-flask and python3-django are importable from it (`nuwsgi --home DIR`). Created
 * once in os.tmpdir() and cached by path. If it cannot be made (python3 or python3-venv missing),
 * skips the test (or, in CI, fails it) and returns undefined.
 */
export async function systemVenv(t: TestContext): Promise<string | undefined> {
  if (!(await needSystemPython(t))) return undefined;
  let pending = venvs.get(systemPython);
  if (pending === undefined) {
    pending = createVenv();
    venvs.set(systemPython, pending);
  }
  const result = await pending;
  if (result.ok) return result.dir;
  missingPeer(t, result.reason);
  return undefined;
}

/**
 * A virtualenv that sees Debian's uwsgidecorators (systemVenv), or undefined when the test was
 * skipped. It is looked for, not imported: importing it needs the `uwsgi` module, which only a
 * server provides.
 */
export async function decoratorsVenv(t: TestContext): Promise<string | undefined> {
  if (!(await needSystemPython(t))) return undefined;
  const find = spawnSync(systemPython, ['-c', 'import importlib.util, sys; sys.exit(importlib.util.find_spec("uwsgidecorators") is None)']);
  if (find.status !== 0) {
    missingPeer(t, 'python3-uwsgidecorators is not installed: apt-get install python3-uwsgidecorators');
    return undefined;
  }
  return systemVenv(t);
}
