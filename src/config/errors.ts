// Every configuration error nuwsgi reports, in one place. Each message is complete, ready to print:
// it names the option, where it came from and what was expected.
import { type ConfigEntry, describeEntry, describeOrigin, type OptionEvent, type Origin } from './events.ts';
import type { OptionSpec } from './option-spec.ts';

/** A configuration the server cannot start with. `message` is meant for the user, as is. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `reason` replaces the default "(expected ...)" when the form is right but the value is not. */
export function badValue(event: OptionEvent, text: string, reason?: string): ConfigError {
  return new ConfigError(
    `nuwsgi: bad value for ${event.spelling} ${describeOrigin(event.origin)}: '${text}' ` +
      `(${reason ?? `expected ${event.option.expected}`})`,
  );
}

export function unknownOption(spelling: string, origin: Origin, suggestion: string | undefined): ConfigError {
  const hint = suggestion === undefined ? 'see nuwsgi --help' : `did you mean ${suggestion}?`;
  return new ConfigError(`nuwsgi: unknown option ${spelling} ${describeOrigin(origin)} (${hint})`);
}

export function missingValue(spelling: string, option: OptionSpec, origin: Origin): ConfigError {
  return new ConfigError(
    `nuwsgi: missing value for ${spelling} ${describeOrigin(origin)} (expected ${option.expected})`,
  );
}

export function unexpectedValue(spelling: string, written: string, origin: Origin): ConfigError {
  return new ConfigError(`nuwsgi: ${spelling} takes no value, but got '${written}' ${describeOrigin(origin)}`);
}

export function configFileNotSupported(argument: string, format: string): ConfigError {
  return new ConfigError(
    `nuwsgi: cannot load '${argument}': ${format} configuration files are not supported; ` +
      'write the options in an .ini, .json or .yaml file instead',
  );
}

/** `hint` explains the likely mistake when there is one (a value given apart from its option). */
export function unrecognizedArgument(argument: string, hint: string | undefined): ConfigError {
  return new ConfigError(
    `nuwsgi: don't know what to do with '${argument}' on the command line: ` +
      (hint ?? 'give a Python file (app.py), a module (package.module:callable) or an option (see nuwsgi --help)'),
  );
}

/** `reason` is short: "no such file", "permission denied". */
export function unreadableConfigFile(file: string, entry: ConfigEntry, reason: string): ConfigError {
  return new ConfigError(`nuwsgi: cannot read ${file} (${describeEntry(entry)}): ${reason}`);
}

export function invalidConfigFile(file: string, line: number, problem: string): ConfigError {
  return new ConfigError(`nuwsgi: ${file} line ${line}: ${problem}`);
}

export function unknownConfigFormat(file: string, entry: ConfigEntry): ConfigError {
  return new ConfigError(
    `nuwsgi: cannot tell the format of ${file} (${describeEntry(entry)}): name it .ini, .json, .js, .yaml or .yml`,
  );
}

export function missingJsonSection(file: string, section: string, entry: ConfigEntry): ConfigError {
  return new ConfigError(`nuwsgi: ${file} has no "${section}" object (${describeEntry(entry)})`);
}

export function includeLoop(file: string, entry: ConfigEntry): ConfigError {
  return new ConfigError(
    `nuwsgi: ${file} would be read again (${describeEntry(entry)}): it includes itself, directly or through other files`,
  );
}

export function nestedBlock(entry: ConfigEntry, open: ConfigEntry): ConfigError {
  return new ConfigError(
    `nuwsgi: ${describeEntry(entry)} opens a block inside the ${open.spelling} block opened ${describeOrigin(open.origin)}: ` +
      'blocks cannot be nested (close the first with endfor or endif)',
  );
}

export function endlessExpansion(entry: ConfigEntry): ConfigError {
  return new ConfigError(
    `nuwsgi: the value of ${describeEntry(entry)} keeps expanding: does a placeholder refer to itself?`,
  );
}

export function unreadableValueFile(file: string, entry: ConfigEntry, reason: string): ConfigError {
  return new ConfigError(`nuwsgi: cannot read ${file} for @(${file}) in the value of ${describeEntry(entry)}: ${reason}`);
}

export function unsupportedOption(entry: ConfigEntry): ConfigError {
  return new ConfigError(
    `nuwsgi: ${describeEntry(entry)} is a uWSGI option that nuwsgi does not support yet ` +
      '(docs/compat.md says what to use instead)',
  );
}

export function unknownKeyInStrictMode(entry: ConfigEntry, suggestion: string | undefined): ConfigError {
  const hint = suggestion === undefined ? '' : `did you mean ${suggestion}? `;
  return new ConfigError(
    `nuwsgi: unknown option ${describeEntry(entry)} (${hint}with strict, declare placeholders with set-placeholder)`,
  );
}

export function noApplication(): ConfigError {
  return new ConfigError(
    'nuwsgi: no application: give --wsgi-file FILE (e.g. --wsgi-file app.py) ' +
      'or --module MODULE (e.g. --module mysite.wsgi:application), or --mount MOUNTPOINT=APP',
  );
}

export function twoApplications(wsgiFile: Origin, module: Origin): ConfigError {
  return new ConfigError(
    `nuwsgi: both --wsgi-file (${describeOrigin(wsgiFile)}) and --module (${describeOrigin(module)}) ` +
      'name an application: give only one',
  );
}

export function noListener(): ConfigError {
  return new ConfigError(
    'nuwsgi: no listener: give --socket ADDR (the uwsgi protocol, for nginx), --http-socket ADDR or --http ADDR, ' +
      'e.g. --socket /run/app.sock or --http 127.0.0.1:8000',
  );
}
