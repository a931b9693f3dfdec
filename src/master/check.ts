// `nuwsgi check`: every start-up check that needs no side effect, run on the resolved configuration
// as `nginx -t` does, reporting every problem rather than the first, in the words start-up would
// use (the HTTPS listeners' certificates among them). Nothing is bound, written or started: each listener's address is probed with a connection
// attempt instead of bound, the user and group are looked up instead of taken. Beyond what the
// master refuses, it looks for what the workers would fail on when they start: the module of
// --module (and of a mount) on their path, and the --chdir2 directory.
import type { Config } from '../config/config.ts';
import { checkAddress } from '../listeners/bind.ts';
import { bindOptions, cannotListen, certificatesOf, wantedListeners } from './listener-set.ts';
import { resolveStaticRules } from '../router/static/rules.ts';
import { unfoundModules } from './python.ts';
import {
  appFileProblems, applyEnv, enterChdir, EXIT_APP_FAILED, geventProblems, identityProblems, isAppFile, missingDirectory,
  workerPython,
} from './startup-checks.ts';
import { StartupError } from './startup-error.ts';

/**
 * Every reason `config` would not start, in the order start-up meets them. Enters --chdir, as
 * start-up does, so that relative paths mean what they will mean to the server. `baseEnv` is the
 * environment before --env.
 */
export async function checkConfig(config: Config, baseEnv: NodeJS.ProcessEnv): Promise<StartupError[]> {
  const problems = problemsOf(() => enterChdir(config));
  const chdir2 = config.chdir2 === undefined ? undefined : missingDirectory('chdir2', config.chdir2);
  if (chdir2 !== undefined) problems.push(chdir2);

  const python = workerPython(config, baseEnv);
  if (python instanceof StartupError) problems.push(python);
  problems.push(...appFileProblems(config));
  if (typeof python === 'string') {
    problems.push(...moduleProblems(config, python, baseEnv), ...geventProblems(config, python));
  }

  const wanted = wantedListeners(config);
  problems.push(...bindOptions(config).problems, ...wanted.problems, ...(await certificatesOf(wanted.listeners)).problems);
  const taken = await Promise.all(wanted.listeners.map((listener) =>
    checkAddress(listener.address).then(() => undefined, (err: unknown) => cannotListen(listener, err))));
  problems.push(...taken.filter((problem) => problem !== undefined));

  problems.push(...identityProblems(config));
  return problems;
}

/**
 * What start-up would warn of without refusing to start: static mounts whose path is missing, an
 * HTTPS listener's expired certificate. Call it after checkConfig, which enters --chdir.
 */
export async function checkWarnings(config: Config): Promise<string[]> {
  return [...resolveStaticRules(config).warnings, ...(await certificatesOf(wantedListeners(config).listeners)).warnings];
}

/** The StartupError that `step` throws, if it throws one. */
function problemsOf(step: () => void): StartupError[] {
  try {
    step();
    return [];
  } catch (err) {
    if (err instanceof StartupError) return [err];
    throw err;
  }
}

/** A module of --module or of a mount that the workers would not find on their path. */
function moduleProblems(config: Config, python: string, baseEnv: NodeJS.ProcessEnv): StartupError[] {
  const wanted = config.mounts.filter(({ app }) => !isAppFile(app))
    .map(({ mountpoint, app }) => ({ given: `--mount ${mountpoint}=${app}`, name: moduleName(app) }));
  if (config.module !== undefined) wanted.unshift({ given: `--module ${config.module}`, name: moduleName(config.module) });
  if (wanted.length === 0) return [];
  let unfound: string[];
  try {
    unfound = unfoundModules(python, wanted.map(({ name }) => name), config.pythonpath, applyEnv({ ...baseEnv }, config.env));
  } catch (err) {
    return wanted.map(({ given }) => new StartupError(`${given}: ${(err as Error).message}`));
  }
  return wanted.filter(({ name }) => unfound.includes(name)).map(({ given, name }) => new StartupError(
    `${given}: no module named '${name}' on the workers' path (working directory: ${process.cwd()})`, EXIT_APP_FAILED));
}

/** The module of `pkg.mod`, `pkg.mod:callable` or `pkg.mod:factory()`, as the workers read it. */
function moduleName(app: string): string {
  return app.split(':')[0]!.trim();
}
