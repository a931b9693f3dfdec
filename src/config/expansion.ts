// $(VAR), @(file) and %(name) in option values. Once every source has been read, uWSGI makes three
// passes over the values of all options that are not immediate, in the order they were given
// (core/uwsgi.c main, core/utils.c uwsgi_apply_config_pass): first every $(VAR) becomes the
// environment variable, then every @(file) the file's content (minus one trailing newline), then
// every %(name) the value of the first option or placeholder called name. A reference to something
// that does not exist is left as written, so `%(addr)` in a log format survives. After each
// substitution the value is scanned again from its start, so a placeholder may hold another.
//
// %(a + b) with spaces inside is a small calculator: tokens are evaluated left to right, numbers and
// names (their values) are concatenated unless an operator (+ - * /) stands between them, and `++`
// or `--` increment or decrement what came before.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { endlessExpansion, unreadableValueFile } from './errors.ts';
import type { ConfigEntry } from './events.ts';
import { fileErrorReason } from './files.ts';

export interface ExpansionSources {
  env: NodeJS.ProcessEnv;
  /** Where @(file) paths start. */
  cwd: string;
  /** The current value of the first option or placeholder called `name`, if any. */
  placeholder(name: string): string | undefined;
}

/** Far more than any configuration needs; reached only by a value that refers to itself. */
const MAX_SUBSTITUTIONS = 1000;

/** Expands the values of `entries` in place. Throws ConfigError. */
export function expandValues(entries: readonly ConfigEntry[], sources: ExpansionSources): void {
  applyPass(entries, '$', (name) => sources.env[name]);
  applyPass(entries, '@', (name, entry) => fileContent(name, entry, sources.cwd));
  applyPass(entries, '%', (name) => (name.includes(' ') ? calculate(name, sources.placeholder) : sources.placeholder(name)));
}

type Lookup = (name: string, entry: ConfigEntry) => string | undefined;

function applyPass(entries: readonly ConfigEntry[], symbol: string, lookup: Lookup): void {
  for (const entry of entries) {
    if (entry.value !== undefined) entry.value = substitute(entry.value, symbol, lookup, entry);
  }
}

/**
 * Replaces every `<symbol>(name)` that `lookup` knows, scanning character by character as uWSGI
 * does: a `(` inside the name nests until its `)`, and a new `<symbol>` restarts the reference, so
 * in `%(a%(b))` only `%(b)` is looked up first.
 */
function substitute(initial: string, symbol: string, lookup: Lookup, entry: ConfigEntry): string {
  let value = initial;
  let substitutions = 0;
  // 0: outside a reference; 1: just after the symbol; 2 + n: inside `(`, n characters into the name.
  let state = 0;
  let depth = 0;
  let nameStart = 0;
  for (let index = 0; index < value.length; index++) {
    const char = value[index];
    if (char === symbol) {
      state = 1;
    } else if (char === '(' && state === 1) {
      state = 2;
      depth = 0;
      nameStart = index + 1;
    } else if (state >= 2) {
      if (char === '(') {
        state++;
        depth++;
      } else if (char === ')' && depth > 0) {
        state++;
        depth--;
      } else if (char === ')') {
        const name = value.slice(nameStart, nameStart + state - 2);
        const replacement = state > 2 ? lookup(name, entry) : undefined;
        state = 0;
        if (replacement === undefined) continue;
        if (++substitutions > MAX_SUBSTITUTIONS) throw endlessExpansion(entry);
        value = value.slice(0, nameStart - 2) + replacement + value.slice(index + 1);
        // uWSGI goes on scanning from the second character of the new value.
        index = 0;
      } else {
        state++;
      }
    } else {
      state = 0;
    }
  }
  return value;
}

/** @(file): the file's content without one trailing newline or carriage return. */
function fileContent(file: string, entry: ConfigEntry, cwd: string): string {
  let content: string;
  try {
    content = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw unreadableValueFile(file, entry, fileErrorReason(error));
  }
  return content.endsWith('\n') || content.endsWith('\r') ? content.slice(0, -1) : content;
}

const OPERATORS = new Map<string, (a: bigint, b: bigint) => bigint>([
  ['+', (a, b) => a + b],
  ['-', (a, b) => a - b],
  ['*', (a, b) => a * b],
  ['/', (a, b) => (b === 0n ? 0n : a / b)],
]);

/** `%(processes * 2)`, `%(port ++)`, `%(name suffix)`: uWSGI's uwsgi_manage_placeholder. */
function calculate(expression: string, lookup: (name: string) => string | undefined): string | undefined {
  let current: string | undefined;
  let operator: ((a: bigint, b: bigint) => bigint) | undefined;
  for (const token of expression.split(' ').filter((part) => part !== '')) {
    const nextOperator = OPERATORS.get(token);
    if (nextOperator !== undefined) {
      operator = nextOperator;
      continue;
    }
    if (token === '++' || token === '--') {
      if (current !== undefined) current = String(BigInt.asIntN(64, toInteger(current) + (token === '++' ? 1n : -1n)));
      operator = undefined;
      continue;
    }
    const value = /^[0-9]+$/.test(token) ? token : (lookup(token) ?? '');
    current = operator === undefined
      ? (current ?? '') + value
      : String(BigInt.asIntN(64, operator(toInteger(current ?? ''), toInteger(value))));
    operator = undefined;
  }
  return current;
}

/** C's strtoll(): leading blanks, an optional sign, digits; 0 when there are none. */
function toInteger(text: string): bigint {
  const match = /^\s*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0n : BigInt(match[1]);
}
