// Magic variables: `%d` (the file's directory), `%n` (its name without extension), `%h` (the
// hostname)... uWSGI substitutes them in the whole text of a configuration file as it reads it,
// before parsing (core/utils.c magic_sub, table filled by core/uwsgi.c config_magic_table_fill):
// a `%` followed by any character is replaced by that character's variable, and by nothing when the
// character has none, so `%Y` vanishes and a `%` at the end of a line joins it to the next. `%%` is
// a literal `%`, and `%(` stays as it is, for the placeholders expanded after everything is read.
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { LoadContext } from './context.ts';

export type MagicTable = ReadonlyMap<string, string>;

/** A line of a configuration file after substitution; `line` is where it starts in the file (from 1). */
export interface NumberedLine {
  text: string;
  line: number;
}

/** A `%` sequence that names no variable, and was therefore removed. */
export interface UnknownMagic {
  sequence: string;
  line: number;
}

export interface MagicText {
  lines: NumberedLine[];
  unknown: UnknownMagic[];
}

/** Substitutes the magic variables of `table` in `text`, and splits the result into lines. */
export function substituteMagic(text: string, table: MagicTable): MagicText {
  const lines: NumberedLine[] = [];
  const unknown: UnknownMagic[] = [];
  let current = '';
  let physicalLine = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '%' && i + 1 < text.length) {
      const next = text[++i];
      const value = table.get(next);
      if (value === undefined) unknown.push({ sequence: `%${next}`, line: physicalLine });
      current += value ?? '';
      if (next === '\n') physicalLine++;
    } else if (char === '\n') {
      lines.push({ text: current, line: startLine });
      current = '';
      startLine = ++physicalLine;
    } else {
      current += char;
    }
  }
  if (current !== '') lines.push({ text: current, line: startLine });
  return { lines, unknown };
}

/** The variables every file shares: `%v %h %V %k %t %T %u %U %g %G %b %[`, and `%%`, `%(`. */
export function processVariables(context: LoadContext): Map<string, string> {
  return new Map([
    ['%', '%'],
    ['(', '%('],
    ['v', context.cwd],
    ['h', context.hostname],
    ['V', context.version],
    ['k', String(context.cpus)],
    ['t', String(Math.floor(context.startMicroseconds / 1_000_000))],
    ['T', String(context.startMicroseconds)],
    ['u', String(context.uid)],
    ['U', context.user],
    ['g', String(context.gid)],
    ['G', context.group],
    ['b', context.binary],
    ['[', '\x1b'],
  ]);
}

/** The variables that describe one file, which an uppercase letter repeats for the first file read. */
const FILE_VARIABLES = ['o', 'p', 's', 'd', 'e', 'n', 'c', 'x', 'i', 'j'];

/** The uppercase variables before any file has set them: known, and empty. */
export function emptyFirstFileVariables(): Map<string, string> {
  return new Map(FILE_VARIABLES.map((letter) => [letter.toUpperCase(), '']));
}

/** `%O %P %S...`: the variables of `file` under their uppercase names. */
export function firstFileVariables(file: Map<string, string>): Map<string, string> {
  return new Map(FILE_VARIABLES.map((letter) => [letter.toUpperCase(), file.get(letter) ?? '']));
}

/**
 * The variables of one configuration file: `named` is the file as the argument names it (without
 * the section: uWSGI cuts `app.ini:prod` in place before %o is read), `file` the file read (the
 * same, or the last INI file for `ini = :section`), `section` the section asked for.
 */
export function fileVariables(named: string, file: string, section: string | undefined, cwd: string): Map<string, string> {
  const absolute = path.resolve(cwd, file);
  // A symbolic link keeps its own name, so that %d is the link's directory (uWSGI joins the
  // working directory and the name as given); anything else is resolved to its real path.
  const fullPath = lstatSync(absolute).isSymbolicLink()
    ? (path.isAbsolute(file) ? file : `${cwd}/${file}`)
    : realpathSync(absolute);
  const slash = fullPath.lastIndexOf('/');
  const directory = fullPath.slice(0, slash + 1);
  const name = fullPath.slice(slash + 1);
  const variables = new Map<string, string>([
    ['o', named],
    ['p', fullPath],
    ['s', name],
    ['d', directory],
    ['e', afterLast(file, '.')],
    ['n', name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : ''],
    ['c', afterLast(directory.slice(0, -1), '/')],
    ['x', section ?? ''],
    ['i', lstatSync(fullPath, { bigint: true }).ino.toString()],
    ['j', djb33xHex(fullPath)],
  ]);
  const components = directory.split('/').filter((component) => component !== '');
  for (let digit = 0; digit <= 9; digit++) variables.set(String(digit), components[digit] ?? '');
  return variables;
}

/** What follows the last `char` of `text`, or '' when there is none. */
function afterLast(text: string, char: string): string {
  const index = text.lastIndexOf(char);
  return index === -1 ? '' : text.slice(index + 1);
}

/**
 * `%j`: the djb33x hash of the path (h = h * 33 ^ byte, from 5381, on 32 bits), written the way uWSGI
 * writes it: the four bytes in memory order (little-endian), in uppercase hex.
 */
function djb33xHex(text: string): string {
  let hash = 5381;
  for (const byte of Buffer.from(text, 'utf8')) hash = (Math.imul(hash, 33) ^ byte) >>> 0;
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(hash);
  return bytes.toString('hex').toUpperCase();
}
