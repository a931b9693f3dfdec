// The shape of an option table entry: how its value is written and read, how it is described, and
// which Config field it fills. The table itself is options.ts, assembled from the themed tables
// (listener-options.ts, ...).
import type { ConfigField } from './config.ts';

/**
 * How a value is read (see values.ts):
 * - `flag`: true unless the value is false/off/no (any case) or exactly 0; no value means true.
 * - `int`: a non-negative whole number; with `arg: 'optional'`, no value means 1 (uWSGI's rule).
 * - `size`: a number of bytes, written as a plain whole number (uWSGI takes no k/m suffixes).
 * - `string`: a single value; the last one given wins.
 * - `list`: every occurrence is kept, in order.
 */
export type OptionKind = 'flag' | 'int' | 'size' | 'string' | 'list';

/**
 * Whether the option takes a value on the command line (getopt_long's three cases):
 * - `none`: never (`--help`).
 * - `required`: `--opt VALUE`, `--opt=VALUE`, `-o VALUE`, `-oVALUE`.
 * - `optional`: only attached, `--opt` or `--opt=VALUE` (a bare `--opt` never takes the next
 *   argument). A flag's short letter never takes a value, so `-Mp 4` is `-M -p 4`.
 */
export type ArgumentRule = 'none' | 'required' | 'optional';

interface CommonSpec {
  /** The canonical name: `--name` on the command line, `UWSGI_NAME` in the environment. */
  name: string;
  /** Other long names that mean the same option (uWSGI's duplicated table rows). */
  aliases: readonly string[];
  /** A one-letter short form, used as `-x`. */
  short?: string;
  arg: ArgumentRule;
  /** One line for `--help`. */
  help: string;
  /** The expected form, for `--help` and error messages: "a whole number, e.g. --processes 4". */
  expected: string;
  /** The value's name in `--help` (`--http ADDR`); defaults to one derived from the kind. */
  placeholder?: string;
  /** Asks for something other than configuration (`--help`); ignored outside the command line. */
  commandLineOnly?: boolean;
  /**
   * Acts as soon as it is read (uWSGI's UWSGI_OPT_IMMEDIATE), so $(VAR), @(file) and %(name) are
   * never expanded in its value.
   */
  immediate?: boolean;
  /** What an optional value means when it is left out (`--chmod-socket` alone is 666). */
  bare?: string;
  /**
   * The Config field the option fills (resolve.ts): with its value, or what its `convert` makes of
   * it. Options that steer the reading of the configuration, ask for a command or are accepted
   * without effect fill none. options.ts checks at compile time that every field is filled by
   * exactly one entry, with a value of the field's type.
   */
  field?: ConfigField;
  /**
   * Only a restart applies it: a reload (which reads the configuration again) keeps the field's
   * running value and says so. The listeners, privileges and the master's own files are such.
   */
  restart?: true;
}

/** Why a string or list value is unusable (a sentence for the error message), or undefined. */
export type ValueCheck = (text: string) => string | undefined;

export interface FlagSpec extends CommonSpec {
  kind: 'flag';
  default: boolean;
}

export interface NumberSpec extends CommonSpec {
  kind: 'int' | 'size';
  default: number;
  min?: number;
  max?: number;
  /** What the field gets for the number given (or the default), when it is not the number itself. */
  convert?: (value: number) => unknown;
}

export interface StringSpec extends CommonSpec {
  kind: 'string';
  default: string | undefined;
  pattern?: RegExp;
  check?: ValueCheck;
  /** What the field gets for the value given (or the default), when it is not the text itself. */
  convert?: (value: string | undefined) => unknown;
}

export interface ListSpec extends CommonSpec {
  kind: 'list';
  default: readonly string[];
  pattern?: RegExp;
  check?: ValueCheck;
  /** What the field gets for the values given (or the default), when it is not the list itself. */
  convert?: (values: string[]) => unknown;
}

export type OptionSpec = FlagSpec | NumberSpec | StringSpec | ListSpec;
