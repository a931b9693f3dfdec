// What the master checks and sets up before any worker starts, each refusal a StartupError that
// names the option: the working directory, the workers' interpreter and environment, the app's
// files, gevent, the pidfiles and the user to run as. A reload runs the same checks on the new
// configuration (workerRuntime) before it starts a worker. The checks that need no side effect
// also return their problems rather than throw them, for `nuwsgi check` (check.ts).
import fs from 'node:fs';
import type { Config } from '../config/config.ts';
import { log } from '../observe/log.ts';
import { concurrencyMode, type ConcurrencyMode } from './mode.ts';
import { writePidfile } from './pidfile.ts';
import { dropPrivileges, lookupGroup, lookupUser } from './privileges.ts';
import { canImportGevent, PythonNotFound, resolvePython } from './python.ts';
import { StartupError } from './startup-error.ts';

/** uWSGI's exit status for "the app could not be loaded" (UWSGI_FAILED_APP_CODE). */
export const EXIT_APP_FAILED = 22;

/** What the workers of a configuration run with: their interpreter and concurrency mode. */
export interface WorkerRuntime {
  python: string;
  mode: ConcurrencyMode;
}

/** --chdir, for the master and the workers it starts. */
export function enterChdir(config: Config): void {
  if (config.chdir === undefined) return;
  const problem = missingDirectory('chdir', config.chdir);
  if (problem !== undefined) throw problem;
  try {
    process.chdir(config.chdir);
  } catch (err) {
    throw new StartupError(`--chdir ${config.chdir}: ${(err as Error).message}`);
  }
}

/** `--OPTION DIR` names no directory. */
export function missingDirectory(option: string, directory: string): StartupError | undefined {
  try {
    if (fs.statSync(directory).isDirectory()) return undefined;
  } catch {
    // missing, or not ours to look into: either way not a directory to run in
  }
  return new StartupError(`--${option} ${directory}: no such directory`);
}

/**
 * The interpreter (--home, else python3 on the workers' PATH) and the mode of a configuration's
 * workers, once its app files and gevent are checked. `baseEnv` is the environment before --env.
 */
export function workerRuntime(config: Config, baseEnv: NodeJS.ProcessEnv): WorkerRuntime {
  const python = workerPython(config, baseEnv);
  if (python instanceof StartupError) throw python;
  const [problem] = [...appFileProblems(config), ...geventProblems(config, python)];
  if (problem !== undefined) throw problem;
  return { python, mode: concurrencyMode(config) };
}

/** The workers' interpreter: --home's, else python3 on their PATH (`baseEnv` with --env applied). */
export function workerPython(config: Config, baseEnv: NodeJS.ProcessEnv): string | StartupError {
  try {
    return resolvePython(config.home, applyEnv({ ...baseEnv }, config.env).PATH);
  } catch (err) {
    if (err instanceof PythonNotFound) return new StartupError(err.message);
    throw err;
  }
}

/** A missing --wsgi-file, or a missing file given to --mount: refused before any worker starts. */
export function appFileProblems(config: Config): StartupError[] {
  const files = config.mounts.filter(({ app }) => isAppFile(app))
    .map(({ mountpoint, app }) => ({ given: `--mount ${mountpoint}=${app}`, file: app }));
  if (config.wsgiFile !== undefined) files.unshift({ given: `--wsgi-file ${config.wsgiFile}`, file: config.wsgiFile });
  return files.filter(({ file }) => !fs.existsSync(file))
    .map(({ given }) => new StartupError(`${given}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED));
}

/** gevent = N with no gevent for `python` to import. */
export function geventProblems(config: Config, python: string): StartupError[] {
  if (concurrencyMode(config).kind !== 'gevent' || canImportGevent(python)) return [];
  return [new StartupError(`gevent = ${config.gevent} needs gevent in the workers' Python (${python}): ` +
    'apt-get install python3-gevent, or pip install gevent in the virtualenv')];
}

/** putenv() semantics, as in uWSGI: KEY=VALUE sets, KEY alone removes, '' does nothing. Returns `env`. */
export function applyEnv(env: NodeJS.ProcessEnv, assignments: readonly string[]): NodeJS.ProcessEnv {
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq === -1) delete env[assignment];
    else env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** uWSGI's order: `pidfile` is written as root, then privileges are dropped, then `pidfile2` as the new user. */
export function writePidfilesAroundPrivilegeDrop(config: Config): void {
  if (config.pidfile !== undefined) writePidfileOrFail(config.pidfile, 'pidfile');
  dropPrivilegesOrFail(config);
  if (config.pidfile2 !== undefined) writePidfileOrFail(config.pidfile2, 'pidfile2');
}

function writePidfileOrFail(file: string, option: string): void {
  try {
    writePidfile(file);
  } catch (err) {
    throw new StartupError(`--${option} ${file}: cannot write it: ${(err as Error).message}`);
  }
}

/** A --uid or --gid that names no user or group. */
export function identityProblems(config: Config): StartupError[] {
  return [unknownName('uid', config.uid, lookupUser), unknownName('gid', config.gid, lookupGroup)]
    .filter((problem) => problem !== undefined);
}

function unknownName(option: string, text: string | undefined, lookup: (text: string) => unknown): StartupError | undefined {
  if (text === undefined) return undefined;
  try {
    lookup(text);
    return undefined;
  } catch (err) {
    return new StartupError(`cannot run as --${option} ${text}: ${(err as Error).message}`);
  }
}

/** uid/gid, once the listeners are bound (binding may need root; serving must not). */
function dropPrivilegesOrFail(config: Config): void {
  const { uid, gid } = config;
  const [unknown] = identityProblems(config);
  if (unknown !== undefined) throw unknown;
  try {
    dropPrivileges(uid, gid);
  } catch (err) {
    const asked = [uid === undefined ? '' : `--uid ${uid}`, gid === undefined ? '' : `--gid ${gid}`].join(' ').trim();
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EPERM' ? ' (only a master started as root can change its user)' : '';
    throw new StartupError(`cannot run as ${asked}: ${e.message}${hint}`);
  }
  if (process.getuid?.() === 0) log('*** WARNING: you are running nuwsgi as root !!! (use the --uid flag) ***');
}

/** Whether a --mount app names a file (as uWSGI decides: by the .py or .wsgi suffix) rather than a module. */
export function isAppFile(app: string): boolean {
  return app.endsWith('.py') || app.endsWith('.wsgi');
}
