// Every configuration error nuwsgi reports, in one place. Each message is complete, ready to print:
// it names the option, where it came from and what was expected.
import { describeOrigin, type OptionEvent, type Origin } from './events.ts';
import type { OptionSpec } from './options.ts';

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
    `nuwsgi: cannot load '${argument}': ${format} configuration files are not supported by this version ` +
      `of nuwsgi yet; give the options on the command line instead (see nuwsgi --help)`,
  );
}

/** `hint` explains the likely mistake when there is one (a value given apart from its option). */
export function unrecognizedArgument(argument: string, hint: string | undefined): ConfigError {
  return new ConfigError(
    `nuwsgi: don't know what to do with '${argument}' on the command line: ` +
      (hint ?? 'give a Python file (app.py), a module (package.module:callable) or an option (see nuwsgi --help)'),
  );
}

export function noApplication(): ConfigError {
  return new ConfigError(
    'nuwsgi: no application: give --wsgi-file FILE (e.g. --wsgi-file app.py) ' +
      'or --module MODULE (e.g. --module mysite.wsgi:application)',
  );
}

export function twoApplications(wsgiFile: Origin, module: Origin): ConfigError {
  return new ConfigError(
    `nuwsgi: both --wsgi-file (${describeOrigin(wsgiFile)}) and --module (${describeOrigin(module)}) ` +
      'name an application: give only one',
  );
}

export function noListener(): ConfigError {
  return new ConfigError('nuwsgi: no listener: give --http ADDR, e.g. --http 127.0.0.1:8000');
}
