// A whole-server reload's next set of workers ("generation"): the configuration, interpreter and
// mode they run with. A reload that re-reads the configuration checks it as start-up would, and
// keeps the running value of what only a restart can change (the listeners, privileges, the
// master's own files), saying so in the log.
import type { Config } from '../config/config.ts';
import { restartOnlyFields } from '../config/options.ts';
import { log } from '../observe/log.ts';
import type { ConcurrencyMode } from './mode.ts';
import { workerRuntime } from './startup-checks.ts';
import type { Worker } from './worker.ts';

/** What the current workers run with. */
export interface Running {
  config: Config;
  mode: ConcurrencyMode;
  python: string;
}

/** A whole-server reload in progress: the next set of workers, started while the current one serves. */
export interface Generation extends Running {
  workers: Worker[];
  /** Kill the old workers at the switch instead of letting them finish their requests. */
  brutal: boolean;
}

/** Options that only take effect on a restart: the listeners, privileges and the master's own files. */
const RESTART_ONLY = restartOnlyFields();

/**
 * The next generation: the running configuration again, or (`reread` given) the one read now.
 * Throws with the reason when the new one is unusable. `baseEnv` is the environment before --env.
 */
export function nextGeneration(running: Running, reread: (() => Config) | null, baseEnv: NodeJS.ProcessEnv, brutal: boolean): Generation {
  if (reread === null) return { ...running, workers: [], brutal };
  const config = reread();
  const changed = RESTART_ONLY.filter((key) => JSON.stringify(config[key]) !== JSON.stringify(running.config[key]));
  if (changed.length > 0) log(`reload: changes to ${changed.join(', ')} take effect on a restart, not on a reload`);
  const { python, mode } = workerRuntime(config, baseEnv);
  // What needs a restart keeps its running value, so that the configuration describes what runs.
  for (const key of RESTART_ONLY) (config as unknown as Record<string, unknown>)[key] = running.config[key];
  return { config, mode, python, workers: [], brutal };
}
