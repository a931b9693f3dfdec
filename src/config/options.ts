// The option table: the one description of every option nuwsgi understands. The command line,
// UWSGI_* environment variables, configuration files (ini/json/yaml), `--help` and the options
// reference in docs/ are all driven by it. It is assembled here from the themed tables:
// listener-options.ts, tls-options.ts, h2-options.ts, application-options.ts, serving-options.ts,
// static-options.ts, supervision-options.ts and loading-options.ts (the options that steer the
// reading of the configuration itself); the few that belong to no theme are below.
//
// Adding an option means adding one entry to one of them, in the place where `--help` should list
// it (the table's order is --help's). An option the server acts on also gets a field of Config
// (config.ts), documented there, which its entry names with `field`; resolve.ts fills it from the
// entry, through the entry's `convert` when the value needs more than its kind's reading; `restart`
// marks an option a reload cannot change. The check below makes tsc fail until both halves are
// there.
//
// Names, aliases, short letters and defaults follow uWSGI 2.0 (core/uwsgi.c, plugins/python/
// python_plugin.c, plugins/http/http.c).
import { APPLICATION_OPTIONS } from './application-options.ts';
import type { Config, ConfigField } from './config.ts';
import { H2_OPTIONS } from './h2-options.ts';
import { LISTENER_OPTIONS } from './listener-options.ts';
import { TLS_OPTIONS } from './tls-options.ts';
import { LOG_OPTIONS } from './log-options.ts';
import { LOADING_OPTIONS } from './loading-options.ts';
import type { OptionSpec } from './option-spec.ts';
import { pluginListProblem } from './plugins.ts';
import { SERVING_OPTIONS } from './serving-options.ts';
import { STATIC_OPTIONS } from './static-options.ts';
import { STATS_OPTIONS } from './stats-options.ts';
import { SUPERVISION_OPTIONS } from './supervision-options.ts';

/** The table as written: every entry with its literal type, for the check below. */
const TABLE = [
  ...LISTENER_OPTIONS,
  ...TLS_OPTIONS,
  ...H2_OPTIONS,
  ...APPLICATION_OPTIONS,
  ...SERVING_OPTIONS,
  ...STATIC_OPTIONS,
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
  ...LOG_OPTIONS,
  ...STATS_OPTIONS,
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
    help: "check what start-up would refuse, without starting: 0 and 'configuration OK', or 1 and every problem (or: nuwsgi check ...)",
    expected: 'no value',
  },
] as const satisfies readonly OptionSpec[];

export const OPTIONS: readonly OptionSpec[] = TABLE;

/** The fields whose options only take effect on a restart (`restart`): a reload keeps them. */
export function restartOnlyFields(): ConfigField[] {
  return OPTIONS.flatMap((option) => (option.restart && option.field !== undefined ? [option.field] : []));
}

/**
 * The compile-time check that the table and Config agree: it fails to compile, naming the fields
 * (or options) in question, when a Config field is filled by no entry or by two, or by one whose
 * value (or `convert`'s result) the field cannot hold, or when an option marked `restart` fills no
 * field. Exported only so that it counts as used.
 */
export type TableAgreesWithConfig = Agreeing<TableProblems>;

type Agreeing<P extends { unfilled: never; filledTwice: never; mistyped: never; restartWithoutField: never }> = P;

/** Each part is never when nothing is wrong, else the fields (or option names) in question. */
interface TableProblems {
  unfilled: Exclude<ConfigField, FieldOf<(typeof TABLE)[number]>>;
  filledTwice: FilledTwice<typeof TABLE>;
  mistyped: Mistyped<(typeof TABLE)[number]>;
  restartWithoutField: RestartWithoutField<(typeof TABLE)[number]>;
}

/**
 * The field an entry fills, as a literal type (the tables are declared `as const`, and an entry
 * built by a helper is given its field as a literal: `{ ...seconds(...), field: 'harakiri' }`);
 * never for an entry that fills none.
 */
type FieldOf<E> = E extends { field: infer F extends ConfigField } ? F : never;

/** The fields more than one entry of the tuple `T` fills. */
type FilledTwice<T extends readonly unknown[], Seen = never, Twice = never> =
  T extends readonly [infer First, ...infer Rest]
    ? FilledTwice<Rest, Seen | FieldOf<First>, Twice | (FieldOf<First> & Seen)>
    : Twice;

/** The field an entry fills, when what it fills it with is not of the field's type. */
type Mistyped<E> = E extends { field: infer F extends ConfigField } ? ([ValueOf<E>] extends [Config[F]] ? never : F) : never;

/** The name of an entry marked `restart` that fills no field. */
type RestartWithoutField<E> = E extends { restart: true; name: infer N } ? (E extends { field: ConfigField } ? never : N) : never;

/** What an entry fills its field with (resolve.ts): its `convert`'s result, or its kind's value. */
type ValueOf<E> =
  E extends { convert: (...args: never[]) => infer R } ? R
  : E extends { kind: 'flag' } ? boolean
  : E extends { kind: 'int' | 'size' } ? number
  : E extends { kind: 'string'; default: string } ? string
  : E extends { kind: 'string' } ? string | undefined
  : string[];

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
