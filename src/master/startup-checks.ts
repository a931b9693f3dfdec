// What the master checks and sets up before any worker starts, each refusal a StartupError that
// names the option: the working directory, the workers' interpreter and environment, the app's
// files, gevent, the pidfiles and the user to run as. A reload runs the same checks on the new
// configuration (workerRuntime) before it starts a worker.
import fs from 'node:fs';
import type { Config } from '../config/config.ts';
import { log } from '../observe/log.ts';
import { concurrencyMode, type ConcurrencyMode } from './mode.ts';
import { writePidfile } from './pidfile.ts';
import { dropPrivileges } from './privileges.ts';
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
  try {
    process.chdir(config.chdir);
  } catch {
    throw new StartupError(`--chdir ${config.chdir}: no such directory`);
  }
}

/**
 * The interpreter (--home, else python3 on the workers' PATH) and the mode of a configuration's
 * workers, once its app files and gevent are checked. `baseEnv` is the environment before --env.
 */
export function workerRuntime(config: Config, baseEnv: NodeJS.ProcessEnv): WorkerRuntime {
  let python;
  try {
    python = resolvePython(config.home, applyEnv({ ...baseEnv }, config.env).PATH);
  } catch (err) {
    if (err instanceof PythonNotFound) throw new StartupError(err.message);
    throw err;
  }
  checkAppSource(config);
  const mode = concurrencyMode(config);
  if (mode.kind === 'gevent' && !canImportGevent(python)) {
    throw new StartupError(`gevent = ${config.gevent} needs gevent in the workers' Python (${python}): ` +
      'apt-get install python3-gevent, or pip install gevent in the virtualenv');
  }
  return { python, mode };
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

export function writePidfileOrFail(file: string, option: string): void {
  try {
    writePidfile(file);
  } catch (err) {
    throw new StartupError(`--${option} ${file}: cannot write it: ${(err as Error).message}`);
  }
}

/** uid/gid, once the listeners are bound (binding may need root; serving must not). */
export function dropPrivilegesOrFail(config: Config): void {
  const { uid, gid } = config;
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

/** A missing --wsgi-file, or a missing file given to --mount, is reported before any worker starts. */
function checkAppSource(config: Config): void {
  const file = config.wsgiFile;
  if (file !== undefined && !fs.existsSync(file)) {
    throw new StartupError(`--wsgi-file ${file}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED);
  }
  for (const { mountpoint, app } of config.mounts) {
    if (isAppFile(app) && !fs.existsSync(app)) {
      throw new StartupError(
        `--mount ${mountpoint}=${app}: no such file (working directory: ${process.cwd()})`, EXIT_APP_FAILED);
    }
  }
}

/** Whether a --mount app names a file (as uWSGI decides: by the .py or .wsgi suffix) rather than a module. */
function isAppFile(app: string): boolean {
  return app.endsWith('.py') || app.endsWith('.wsgi');
}
