// The environment reader: every UWSGI_NAME variable is the option `name` (lowercased, `_` → `-`),
// with the variable's value verbatim, as in uWSGI's parse_sys_envs (core/utils.c). These events go
// before the command line's, so the command line wins for single-valued options.
//
// The environment is not the user's configuration file: a UWSGI_* variable that names no option
// (or names one that only makes sense on the command line, such as --version) is ignored. A known
// option with a bad value is still an error, naming the variable.
import type { OptionEvent } from './events.ts';
import { findOption } from './options.ts';

const PREFIX = 'UWSGI_';

/** Variables uWSGI sets for its own processes (reloads, the Emperor), never options. */
const INTERNAL_VARIABLES = new Set([
  'UWSGI_RELOADS',
  'UWSGI_VASSALS_DIR',
  'UWSGI_EMPEROR_FD',
  'UWSGI_BROODLORD_NUM',
  'UWSGI_EMPEROR_FD_CONFIG',
  'UWSGI_EMPEROR_PROXY',
  'UWSGI_JAIL_PID',
  'UWSGI_ORIGINAL_PROC_NAME',
]);

export function readEnvironment(env: NodeJS.ProcessEnv): OptionEvent[] {
  const events: OptionEvent[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(PREFIX) || INTERNAL_VARIABLES.has(variable) || value === undefined) continue;
    const name = variable.slice(PREFIX.length).toLowerCase().replaceAll('_', '-');
    const option = findOption(name);
    if (option === undefined || option.commandLineOnly) continue;
    events.push({ option, spelling: `--${name}`, value, origin: { source: 'environment', variable } });
  }
  return events;
}
