// The option table: the one description of every option nuwsgi understands. The command line,
// UWSGI_* environment variables, configuration files (ini/json/yaml), `--help` and the options
// reference in docs/ are all driven by it. It is assembled here from the themed tables:
// listener-options.ts, application-options.ts, serving-options.ts, supervision-options.ts and
// loading-options.ts (the options that steer the reading of the configuration itself); the few
// that belong to no theme are below. Adding an option means adding one entry to one of them, in
// the place where `--help` should list it (the table's order is --help's).
//
// Names, aliases, short letters and defaults follow uWSGI 2.0 (core/uwsgi.c, plugins/python/
// python_plugin.c, plugins/http/http.c).
import { APPLICATION_OPTIONS } from './application-options.ts';
import { LISTENER_OPTIONS } from './listener-options.ts';
import { LOADING_OPTIONS } from './loading-options.ts';
import type { OptionSpec } from './option-spec.ts';
import { pluginListProblem } from './plugins.ts';
import { SERVING_OPTIONS } from './serving-options.ts';
import { SUPERVISION_OPTIONS } from './supervision-options.ts';

export const OPTIONS: readonly OptionSpec[] = [
  ...LISTENER_OPTIONS,
  ...APPLICATION_OPTIONS,
  ...SERVING_OPTIONS,
  {
    name: 'plugins',
    aliases: ['plugin'],
    kind: 'list',
    arg: 'required',
    default: [],
    immediate: true,
    check: pluginListProblem,
    placeholder: 'NAMES',
    help: 'accepted for python, python3, pythonNN, http and gevent, which are built in (no effect)',
    expected: 'a comma-separated list of python, python3, pythonNN, http or gevent, e.g. --plugins python3',
  },
  {
    name: 'strict',
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    immediate: true,
    help: 'refuse keys that name no option in configuration files, instead of keeping them as placeholders',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  ...SUPERVISION_OPTIONS,
  ...LOADING_OPTIONS,
  {
    name: 'help',
    aliases: ['usage'],
    short: 'h',
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: 'show this help and exit',
    expected: 'no value',
  },
  {
    name: 'version',
    aliases: [],
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: 'print the version and exit',
    expected: 'no value',
  },
  {
    name: 'show-config',
    aliases: [],
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: 'print the configuration as resolved, as an INI file, and exit',
    expected: 'no value',
  },
  {
    name: 'check',
    aliases: [],
    kind: 'flag',
    arg: 'none',
    default: false,
    commandLineOnly: true,
    help: "check the configuration and exit: 0 and 'configuration OK', or 1 and the errors (or: nuwsgi check ...)",
    expected: 'no value',
  },
];

const byLongName = new Map<string, OptionSpec>();
const byShortLetter = new Map<string, OptionSpec>();
for (const option of OPTIONS) {
  for (const name of [option.name, ...option.aliases]) {
    if (byLongName.has(name)) throw new Error(`option table: --${name} is defined twice`);
    byLongName.set(name, option);
  }
  if (option.short !== undefined) {
    if (byShortLetter.has(option.short)) throw new Error(`option table: -${option.short} is defined twice`);
    byShortLetter.set(option.short, option);
  }
}

/** The option called `name` (canonical or alias, without dashes), if there is one. */
export function findOption(name: string): OptionSpec | undefined {
  return byLongName.get(name);
}

/** The option whose short form is `-letter`, if there is one. */
export function findShortOption(letter: string): OptionSpec | undefined {
  return byShortLetter.get(letter);
}

/** Every long name and alias, for suggestions. */
export function allLongNames(): string[] {
  return [...byLongName.keys()];
}
