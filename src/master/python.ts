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

/**
 * Looks the modules up as a worker would import them: on sys.path with the --pythonpath patterns
 * in front (their globs expanded), the top-level name with find_spec and each submodule with the
 * finders of its package's directories, so that no package's code runs (a module already
 * imported, such as os.path, is found). Prints the names not found, as JSON.
 */
const FIND_MODULES = `import glob, importlib.util, json, pkgutil, sys
patterns, names = json.loads(sys.argv[1])
for pattern in reversed(patterns):
    sys.path[0:0] = sorted(glob.glob(pattern)) or [pattern]
def submodule_locations(fullname, paths):
    # None: not found; else where its submodules are ([] for a module that is no package)
    portions = []
    for entry in paths:
        finder = pkgutil.get_importer(entry)
        spec = None if finder is None else finder.find_spec(fullname)
        if spec is None:
            continue
        if spec.loader is None:
            portions.extend(spec.submodule_search_locations)
            continue
        return list(spec.submodule_search_locations or [])
    return portions or None
def found(name):
    if name in sys.modules:
        return True
    try:
        prefix, *rest = name.split('.')
        spec = importlib.util.find_spec(prefix)  # imports nothing, for a top-level name
        if spec is None:
            return False
        locations = list(spec.submodule_search_locations or [])
        for part in rest:
            prefix += '.' + part
            locations = submodule_locations(prefix, locations)
            if locations is None:
                return False
        return True
    except Exception:
        return False
print(json.dumps([name for name in names if not found(name)]))`;

/**
 * The modules among `names` that `python`, started as a worker is (`env`, in this process's
 * working directory), would not find with `pythonpath` in front of its path. Throws when it
 * cannot tell.
 */
export function unfoundModules(python: string, names: readonly string[], pythonpath: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const result = spawnSync(python, ['-c', FIND_MODULES, JSON.stringify([pythonpath, names])], {
    env, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    const why = result.error?.message ?? (result.stderr.trim().split('\n').pop() || `exit status ${result.status}`);
    throw new Error(`${python} could not look for it: ${why}`);
  }
  return JSON.parse(result.stdout) as string[];
}
