// Which Python runs the workers, and the command line that starts one. The worker package ships
// inside the npm package (python/nuwsgi_worker) and is found relative to this file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/master/python.js -> the package root, three levels up. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const workerPackageDir = path.join(packageRoot, 'python');

export class PythonNotFound extends Error {}

/** A regular file this process may execute. */
export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string, envPath: string | undefined): string | undefined {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (dir !== '' && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * The interpreter for the workers: the virtualenv's with `--home`, else `python3` on PATH.
 * Throws PythonNotFound with the one line the user needs.
 */
export function resolvePython(home: string | undefined, envPath: string | undefined): string {
  if (home !== undefined) {
    if (!fs.existsSync(home) || !fs.statSync(home).isDirectory()) {
      throw new PythonNotFound(`--home ${home}: no such directory (expected a virtualenv, e.g. --home /var/www/venv)`);
    }
    for (const name of ['python3', 'python']) {
      const candidate = path.join(home, 'bin', name);
      if (isExecutable(candidate)) return candidate;
    }
    throw new PythonNotFound(`--home ${home}: no Python interpreter at ${path.join(home, 'bin', 'python3')} (is it a virtualenv?)`);
  }
  const found = findOnPath('python3', envPath);
  if (found === undefined) {
    throw new PythonNotFound('no python3 on PATH: install Python >= 3.8, or point --home at a virtualenv');
  }
  return found;
}

/** Arguments for the interpreter: import the worker package without leaving it on the app's sys.path. */
export function workerArgs(): string[] {
  return [
    '-c',
    'import sys; sys.path.insert(1, sys.argv.pop(1)); from nuwsgi_worker.main import main; main()',
    workerPackageDir,
  ];
}

/**
 * Whether `python` can import gevent, asked once before gevent-mode workers are spawned so that a
 * missing package is one clear startup error rather than workers failing to load in a loop.
 */
export function canImportGevent(python: string): boolean {
  const result = spawnSync(python, ['-c', 'import gevent'], { stdio: 'ignore', timeout: 30_000 });
  return result.status === 0;
}
