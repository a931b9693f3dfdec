// The shape of an option table entry: how its value is written and read, and how it is described.
// The table itself is options.ts, assembled from the themed tables (loading-options.ts, ...).
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
}

/** Why a string or list value is unusable (a sentence for the error message), or undefined. */
export type ValueCheck = (text: string) => string | undefined;

export type OptionSpec =
  | (CommonSpec & { kind: 'flag'; default: boolean })
  | (CommonSpec & { kind: 'int' | 'size'; default: number; min?: number; max?: number })
  | (CommonSpec & { kind: 'string'; default: string | undefined; pattern?: RegExp; check?: ValueCheck })
  | (CommonSpec & { kind: 'list'; default: readonly string[]; pattern?: RegExp; check?: ValueCheck });
