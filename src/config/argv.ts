// The command-line reader: a getopt_long-style tokenizer over the option table. It turns argv into
// ordered option events and leaves checking the values to the resolver.
//
//   --opt VALUE   --opt=VALUE        options that require a value
//   --opt         --opt=VALUE        options whose value is optional (flags: --master=false)
//   -p 4   -p4   -Mp 4   -Mp4        short options, grouped
//   --                               everything after it is a positional argument
//   app.ini  app.py  pkg.mod:app      positional arguments, dispatched on their form as uWSGI does,
//                                    and handled after every option, as getopt_long orders them
//
// Unlike getopt_long, long names cannot be abbreviated (a prefix that is unique today would become
// ambiguous as options are added), and a value is never taken from a following argument that
// starts with '-': `--http --master` is a missing value, not an address; write `--env=-X` for that.
import {
  type ConfigError,
  configFileNotSupported,
  missingValue,
  unexpectedValue,
  unknownOption,
  unrecognizedArgument,
} from './errors.ts';
import { COMMAND_LINE, type OptionEvent } from './events.ts';
import type { OptionSpec } from './option-spec.ts';
import { findOption, findShortOption } from './options.ts';
import { closestOptionName } from './suggest.ts';

export function readCommandLine(argv: readonly string[]): OptionEvent[] {
  return new CommandLineReader(argv).read();
}

/** An option given without its optional value, to explain a stray argument after it (`--master false`). */
interface BareOptional {
  spelling: string;
  option: OptionSpec;
}

class CommandLineReader {
  private readonly argv: readonly string[];
  private readonly events: OptionEvent[] = [];
  private index = 0;
  /** Set when the previous argument was one. */
  private bareOptional: BareOptional | undefined;

  constructor(argv: readonly string[]) {
    this.argv = argv;
  }

  read(): OptionEvent[] {
    const positionals: OptionEvent[] = [];
    let afterTerminator = false;
    while (this.index < this.argv.length) {
      const argument = this.argv[this.index++];
      const previousBareOptional = this.bareOptional;
      this.bareOptional = undefined;
      if (afterTerminator || argument === '-' || !argument.startsWith('-')) {
        positionals.push(...positionalEvents(argument, previousBareOptional));
      } else if (argument === '--') {
        afterTerminator = true;
      } else if (argument.startsWith('--')) {
        this.readLongOption(argument);
      } else {
        this.readShortOptions(argument);
      }
    }
    // getopt_long moves bare arguments after the options, so uWSGI reads `uwsgi app.ini -p 4` as
    // -p 4 followed by the options of app.ini (a processes line there wins).
    return [...this.events, ...positionals];
  }

  private readLongOption(argument: string): void {
    const equals = argument.indexOf('=');
    const name = equals === -1 ? argument.slice(2) : argument.slice(2, equals);
    const attached = equals === -1 ? undefined : argument.slice(equals + 1);
    const spelling = `--${name}`;
    const option = findOption(name);
    if (option === undefined) {
      const suggestion = closestOptionName(name);
      throw unknownOption(spelling, COMMAND_LINE, suggestion === undefined ? undefined : `--${suggestion}`);
    }
    switch (option.arg) {
      case 'none':
        if (attached !== undefined) throw unexpectedValue(spelling, argument, COMMAND_LINE);
        this.emit(option, spelling, undefined);
        break;
      case 'optional':
        this.emit(option, spelling, attached);
        if (attached === undefined) this.bareOptional = { spelling, option };
        break;
      case 'required':
        this.emit(option, spelling, attached ?? this.takeNextAsValue(spelling, option));
        break;
    }
  }

  /** `-M`, `-p4`, `-Mp 4`: letters are options until one takes the rest (or the next argument). */
  private readShortOptions(argument: string): void {
    // `-http` spells a long option with one dash: read as letters it would mean something else.
    const asLongName = argument.slice(1).split('=')[0];
    if (argument.length > 2 && findOption(asLongName) !== undefined) {
      throw unknownOption(argument, COMMAND_LINE, `--${asLongName}`);
    }
    for (let position = 1; position < argument.length; position++) {
      const letter = argument[position];
      const spelling = `-${letter}`;
      const option = findShortOption(letter);
      if (option === undefined) throw unknownShortOption(letter, argument);
      const rest = argument.slice(position + 1);
      if (option.arg === 'required') {
        this.emit(option, spelling, rest !== '' ? rest : this.takeNextAsValue(spelling, option));
        return;
      }
      // A flag's letter never takes a value, so that grouped flags such as -Mp 4 work.
      if (option.arg === 'optional' && option.kind !== 'flag' && rest !== '') {
        this.emit(option, spelling, rest);
        return;
      }
      this.emit(option, spelling, undefined);
      if (option.arg === 'optional' && rest === '') this.bareOptional = { spelling, option };
    }
  }

  private takeNextAsValue(spelling: string, option: OptionSpec): string {
    const next = this.argv[this.index];
    if (next === undefined || (next.startsWith('-') && next !== '-')) {
      throw missingValue(spelling, option, COMMAND_LINE);
    }
    this.index++;
    return next;
  }

  private emit(option: OptionSpec, spelling: string, value: string | undefined): void {
    this.events.push({ option, spelling, value, origin: COMMAND_LINE });
  }
}

/** `-x` is unknown; in `-http` the user most likely meant `--http`. */
function unknownShortOption(letter: string, argument: string): ConfigError {
  if (argument.length === 2) return unknownOption(`-${letter}`, COMMAND_LINE, undefined);
  const suggestion = closestOptionName(argument.slice(1).split('=')[0]);
  return unknownOption(
    `-${letter} (in ${argument})`,
    COMMAND_LINE,
    suggestion === undefined ? undefined : `--${suggestion}`,
  );
}

const CONFIG_FILE = /\.(ini|ya?ml|json|js|xml)(:[^/]*)?$/;
const IDENTIFIER = '[\\p{L}_][\\p{L}\\p{N}_]*';
const MODULE_PATH = new RegExp(`^${IDENTIFIER}(\\.${IDENTIFIER})*$`, 'u');
const CALLABLE = new RegExp(`^${IDENTIFIER}(\\(\\))?$`, 'u');

/**
 * A bare argument, dispatched on its form like uWSGI's `uwsgi_opt_load` and the Python plugin's
 * "magic" handler: a config file (app.ini, optionally app.ini:section, read as `include` reads it),
 * a Python file (app.py, app.wsgi, optionally followed by :callable) or a module with its callable
 * (pkg.mod:app). uWSGI silently ignores anything else; nuwsgi refuses it. uWSGI also requires a dot
 * in the module path; nuwsgi accepts wsgi:app, the usual way of naming a Flask app.
 */
function positionalEvents(
  argument: string,
  previousBareOptional: BareOptional | undefined,
): OptionEvent[] {
  const configFile = CONFIG_FILE.exec(argument);
  if (configFile?.[1] === 'xml') throw configFileNotSupported(argument, 'XML');
  if (configFile !== null) return [positionalEvent('include', argument)];

  const colon = argument.indexOf(':');
  const target = colon === -1 ? argument : argument.slice(0, colon);
  const callable = colon === -1 ? undefined : argument.slice(colon + 1);
  if (callable === undefined || CALLABLE.test(callable)) {
    if (isPythonFile(target, callable)) {
      const events = [positionalEvent('wsgi-file', target)];
      if (callable !== undefined) events.push(positionalEvent('callable', callable));
      return events;
    }
    if (callable !== undefined && MODULE_PATH.test(target)) return [positionalEvent('module', argument)];
  }

  const hint =
    previousBareOptional === undefined
      ? undefined
      : `${previousBareOptional.spelling} takes a value only when attached, as ` +
        `--${previousBareOptional.option.name}=${argument}`;
  throw unrecognizedArgument(argument, hint);
}

/**
 * app.py and app.wsgi are files. uWSGI also takes mysite.wsgi:application as the file mysite.wsgi,
 * but that is Django's (and gunicorn's) way of naming the module mysite/wsgi.py, so with a callable
 * a .wsgi name that is also a module path is a module; such a file can be given as ./legacy.wsgi:app.
 */
function isPythonFile(target: string, callable: string | undefined): boolean {
  if (target.endsWith('.py')) return true;
  return target.endsWith('.wsgi') && (callable === undefined || !MODULE_PATH.test(target));
}

function positionalEvent(name: string, value: string): OptionEvent {
  const option = findOption(name);
  if (option === undefined) throw new Error(`option table has no --${name}`);
  return { option, spelling: `--${name}`, value, origin: COMMAND_LINE };
}
