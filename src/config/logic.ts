// The `for` and `if-*` blocks (uWSGI's "configuration logic", core/config.c). An opener such as
// `for = a b` or `if-env = DEBUG` starts a block that lasts until endfor, endif or end (any of them
// closes any block). Each option read inside the block goes through the block instead of being
// added: a `for` adds it once per item, an `if` adds it or drops it, and `%(_)` in its value becomes
// the item (the loop item, the variable's value, the path tested).
//
// As in uWSGI, the condition is evaluated again for every option of the block, at the time it is
// read: `if-env` sees the real environment (not the `env =` options, which apply later) and `if-opt`
// sees the options given so far. Relative paths start from the working directory, not from the
// file's directory (write `%d` for that).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LoadContext } from './context.ts';
import { badValue } from './errors.ts';
import type { ConfigEntry } from './events.ts';
import { fileErrorReason } from './files.ts';
import type { OptionSpec } from './option-spec.ts';
import { longLineSplit, unreadableLinesFile } from './warnings.ts';

/** What an entry read inside a block stands for: nothing, itself, or one copy per item. */
export interface Block {
  expand(entry: ConfigEntry): ConfigEntry[];
}

/** What blocks look at besides the opener. */
export interface BlockSurroundings {
  context: LoadContext;
  /** The value of the first option or placeholder called `name` given so far. */
  givenValue(name: string): string | undefined;
  warn(message: string): void;
}

/** The result of a condition: whether the entry is kept, and what `%(_)` becomes then. */
type Outcome = { keep: false } | { keep: true; item: string | undefined };

type Condition = (argument: string, around: BlockSurroundings) => Outcome;

const CONDITIONS = new Map<string, Condition>([
  ['if-env', (argument, around) => whenGiven(argument, (name) => around.context.env[name])],
  ['if-not-env', (argument, around) => unlessGiven(argument, (name) => around.context.env[name])],
  ['if-opt', (argument, around) => whenGiven(argument, (name) => around.givenValue(name))],
  ['if-not-opt', (argument, around) => unlessGiven(argument, (name) => around.givenValue(name))],
  ['if-exists', (argument, around) => pathTest(argument, around, true, isReadable)],
  ['if-not-exists', (argument, around) => pathTest(argument, around, false, isReadable)],
  ['if-file', (argument, around) => pathTest(argument, around, true, (file) => statSync(file).isFile())],
  ['if-not-file', (argument, around) => pathTest(argument, around, false, (file) => statSync(file).isFile())],
  ['if-dir', (argument, around) => pathTest(argument, around, true, (file) => statSync(file).isDirectory())],
  ['if-not-dir', (argument, around) => pathTest(argument, around, false, (file) => statSync(file).isDirectory())],
]);

const LOOPS = new Set(['for', 'for-times', 'for-readline']);

/** Whether `name` is the canonical name of an option that opens a block. */
export function opensBlock(name: string): boolean {
  return CONDITIONS.has(name) || LOOPS.has(name);
}

/** The block `opener` starts; `opener.option` is one for which opensBlock() is true. */
export function openBlock(opener: ConfigEntry & { option: OptionSpec }, around: BlockSurroundings): Block {
  const argument = opener.value ?? '';
  switch (opener.option.name) {
    case 'for':
      return loop(() => argument.split(' ').filter((item) => item !== ''));
    case 'for-times': {
      if (!/^[0-9]+$/.test(argument)) throw badValue(opener, argument);
      return loop(() => Array.from({ length: Number(argument) }, (_, index) => String(index + 1)));
    }
    case 'for-readline':
      return loop(fileLines(argument, opener, around));
    default: {
      const condition = CONDITIONS.get(opener.option.name);
      if (condition === undefined) throw new Error(`--${opener.option.name} opens no block`);
      return {
        expand(entry) {
          const outcome = condition(argument, around);
          return outcome.keep ? [withItem(entry, outcome.item)] : [];
        },
      };
    }
  }
}

function loop(items: () => string[]): Block {
  return { expand: (entry) => items().map((item) => withItem(entry, item)) };
}

/** `entry` with every `%(_)` in its value replaced by `item` (left alone when there is no item). */
function withItem(entry: ConfigEntry, item: string | undefined): ConfigEntry {
  if (item === undefined || entry.value === undefined) return entry;
  return { ...entry, value: entry.value.split('%(_)').join(item) };
}

/** `NAME` or `NAME=VALUE`. */
function splitCondition(argument: string): { name: string; expected: string | undefined } {
  const equals = argument.indexOf('=');
  if (equals === -1) return { name: argument, expected: undefined };
  return { name: argument.slice(0, equals), expected: argument.slice(equals + 1) };
}

/** if-env, if-opt: NAME is set (to VALUE); `%(_)` is its value. */
function whenGiven(argument: string, lookup: (name: string) => string | undefined): Outcome {
  const { name, expected } = splitCondition(argument);
  const value = lookup(name);
  if (value === undefined || (expected !== undefined && value !== expected)) return { keep: false };
  return { keep: true, item: value };
}

/**
 * if-not-env, if-not-opt: NAME is not set, or set to something other than VALUE. uWSGI leaves `%(_)`
 * as it is when NAME is not set, and makes it NAME's value otherwise.
 */
function unlessGiven(argument: string, lookup: (name: string) => string | undefined): Outcome {
  const { name, expected } = splitCondition(argument);
  const value = lookup(name);
  if (value === undefined) return { keep: true, item: undefined };
  if (expected === undefined || value === expected) return { keep: false };
  return { keep: true, item: value };
}

/** if-exists, if-file, if-dir and their negations; `%(_)` is the path as written. */
function pathTest(
  argument: string,
  around: BlockSurroundings,
  wanted: boolean,
  test: (file: string) => boolean,
): Outcome {
  let result: boolean;
  try {
    result = test(path.resolve(around.context.cwd, argument));
  } catch {
    result = false;
  }
  return result === wanted ? { keep: true, item: argument } : { keep: false };
}

function isReadable(file: string): boolean {
  accessSync(file, constants.R_OK);
  return true;
}

const LINE_BUFFER = 1023;

/**
 * for-readline's items: the lines of `file`, read once when the block first needs them. Like
 * uWSGI's fgets() into 1024 bytes, a line longer than 1023 bytes becomes several items, and
 * trailing carriage returns and newlines are removed (spaces are kept). A file that cannot be read
 * gives no items and a warning, not an error.
 */
function fileLines(file: string, opener: ConfigEntry, around: BlockSurroundings): () => string[] {
  let lines: string[] | undefined;
  return () => {
    lines ??= readLines(file, opener, around);
    return lines;
  };
}

function readLines(file: string, opener: ConfigEntry, around: BlockSurroundings): string[] {
  let content: Buffer;
  try {
    content = readFileSync(path.resolve(around.context.cwd, file));
  } catch (error) {
    around.warn(unreadableLinesFile(file, opener, fileErrorReason(error)));
    return [];
  }
  const lines: string[] = [];
  let split = false;
  for (let start = 0; start < content.length;) {
    const newline = content.indexOf(0x0a, start);
    const end = newline === -1 ? content.length : newline + 1;
    split ||= end - start > LINE_BUFFER;
    for (let piece = start; piece < end; piece += LINE_BUFFER) {
      const text = content.subarray(piece, Math.min(piece + LINE_BUFFER, end)).toString('utf8');
      lines.push(text.replace(/[\r\n]+$/, ''));
    }
    start = end;
  }
  if (split) around.warn(longLineSplit(file, opener));
  return lines;
}
