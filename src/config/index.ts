// The configuration front end: from the command line and the environment to the Config the master
// runs with, or to a request for help or the version.
import { readCommandLine } from './argv.ts';
import type { Command } from './config.ts';
import { readEnvironment } from './environment.ts';
import { helpText } from './help.ts';
import { resolveConfig } from './resolve.ts';
import { packageVersion } from './version.ts';

export type { Command, Config } from './config.ts';
export { ConfigError } from './errors.ts';
export type { OptionEvent, Origin } from './events.ts';
export { OPTIONS, type OptionSpec } from './options.ts';
export { readCommandLine, readEnvironment };

/**
 * `argv` is `process.argv.slice(2)`. Throws ConfigError, with a message ready to print, when the
 * configuration is unusable. The environment's UWSGI_* variables are applied before the command
 * line. `--help` and `--version` answer without looking at the rest of the configuration.
 */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): Command {
  const commandLine = readCommandLine(argv);
  const request = commandLine.find((event) => event.option.name === 'help' || event.option.name === 'version');
  if (request?.option.name === 'help') return { kind: 'help', text: helpText() };
  if (request?.option.name === 'version') return { kind: 'version', text: `nuwsgi ${packageVersion()}` };
  return { kind: 'serve', config: resolveConfig([...readEnvironment(env), ...commandLine]) };
}
