// The configuration front end: from the command line, the environment and the configuration files
// they name to the Config the master runs with (or checks), or to another answer (help, the
// version, the configuration shown).
import path from 'node:path';
import { readCommandLine } from './argv.ts';
import type { Command } from './config.ts';
import { type LoadContext, processContext } from './context.ts';
import { readEnvironment } from './environment.ts';
import { ConfigError } from './errors.ts';
import type { OptionEvent } from './events.ts';
import { helpText } from './help.ts';
import { entryOfEvent, loadConfiguration } from './loader.ts';
import { resolveConfig } from './resolve.ts';
import { showConfig } from './show.ts';
import { convertValue } from './values.ts';
import { packageVersion } from './version.ts';

export type { Command, Config } from './config.ts';
export type { LoadContext } from './context.ts';
export { ConfigError } from './errors.ts';
export type { OptionEvent, Origin } from './events.ts';
export type { OptionSpec } from './option-spec.ts';
export { OPTIONS } from './options.ts';
export { readCommandLine, readEnvironment };

/**
 * `argv` is `process.argv.slice(2)`; `nuwsgi check ...` is `nuwsgi ... --check`; `nuwsgi top ...` and
 * `nuwsgi init ...` have command lines of their own. The environment's
 * UWSGI_* variables are applied before the command line. `--help` and `--version` answer without
 * looking at the rest of the configuration; `--show-config` shows a configuration that names no
 * application or listener too. Throws ConfigError, with a message ready to print (one line per
 * problem), when the configuration is unusable. `context` is this process's unless given.
 */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv, context?: LoadContext): Command {
  if (argv[0] === 'top') return { kind: 'top', args: argv.slice(1) };
  if (argv[0] === 'init') return { kind: 'init', args: argv.slice(1) };
  const checkCommand = argv[0] === 'check';
  const commandLine = readCommandLine(checkCommand ? argv.slice(1) : argv);
  const asked = (name: string) => commandLine.some((event) => event.option.name === name);
  const request = commandLine.find((event) => event.option.name === 'help' || event.option.name === 'version');
  if (request?.option.name === 'help') return { kind: 'help', text: helpText() };
  if (request?.option.name === 'version') return { kind: 'version', text: `nuwsgi ${packageVersion()}` };
  const control = commandLine.find((event) => event.option.name === 'reload' || event.option.name === 'stop');
  if (control !== undefined) {
    return { kind: 'signal', pidfile: String(convertValue(control)), signal: control.option.name === 'reload' ? 'SIGHUP' : 'SIGTERM' };
  }

  const entries = [...readEnvironment(env), ...commandLine].map(entryOfEvent);
  const loadContext = context ?? processContext(env);
  const loaded = loadConfiguration(entries, loadContext);
  const problems = [...loaded.errors, ...valueErrors(loaded.events)];
  if (problems.length > 0) throw new ConfigError(problems.map((problem) => problem.message).join('\n'));
  const warnings = loaded.warnings;
  if (checkCommand || asked('check')) {
    return { kind: 'check', config: resolveConfig(loaded.events), warnings, files: configFiles(loaded.events, loadContext.cwd) };
  }
  if (asked('show-config')) return { kind: 'show-config', text: showConfig(resolveConfig(loaded.events, 'show')), warnings };
  return { kind: 'serve', config: resolveConfig(loaded.events), warnings };
}

/** The configuration files the options came from, as absolute paths, in the order first read. */
function configFiles(events: readonly OptionEvent[], cwd: string): string[] {
  const files = events.flatMap((event) => event.origin.source === 'file' ? [path.resolve(cwd, event.origin.file)] : []);
  return [...new Set(files)];
}

/** Every bad value at once, so that one run reports them all. */
function valueErrors(events: readonly OptionEvent[]): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const event of events) {
    try {
      convertValue(event);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  }
  return errors;
}
