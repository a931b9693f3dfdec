// The YAML reader, for the shape uWSGI configurations have: a mapping of sections, each a mapping
// of options whose values are scalars or lists of scalars.
//
//   uwsgi:
//     http: :8000
//     env: 'GREETING=hello'         # quotes are removed, comments too
//     pythonpath: [lib, vendor]     # a list repeats its key once per item
//     env:
//       - A=1
//       - B=2
//
// Values are read as text, the way Debian's uWSGI (built with libyaml) reads them: `true`, `010`
// and `~` stay as written, a key may repeat, and a key with no value is ignored. Anything beyond
// that shape (nested mappings, multi-line values, anchors, tags, `|` blocks) is refused with the
// line, rather than half understood.
import { FileSyntaxError, type KeyValue, type SectionEntries } from './file-entries.ts';
import type { NumberedLine } from './magic.ts';

export interface YamlSection extends SectionEntries {
  /** Keys written with no value (`master:`), which uWSGI ignores. */
  valueless: { key: string; line: number }[];
}

export function readYaml(lines: readonly NumberedLine[], section: string): YamlSection {
  const result: YamlSection = { entries: [], found: false, valueless: [] };
  let inSection = false;
  let optionIndent: number | undefined;
  /** The key above the lines being read, while it may still receive `- item` lines. */
  let listKey: { key: string; indent: number; line: number; items: number } | undefined;

  const closeList = (): void => {
    if (listKey !== undefined && listKey.items === 0) result.valueless.push({ key: listKey.key, line: listKey.line });
    listKey = undefined;
  };

  for (const { text, line } of lines) {
    const indent = text.length - text.trimStart().length;
    const content = text.trim();
    if (content === '' || content.startsWith('#')) continue;
    if (/^[ ]*\t/.test(text)) throw new FileSyntaxError(line, 'tabs cannot indent YAML; use spaces');
    if (indent === 0 && content === '---') continue;
    if (indent === 0 && content === '...') break;

    if (indent === 0) {
      closeList();
      const { key, rest } = splitKey(content, line);
      inSection = key === section;
      optionIndent = undefined;
      if (!inSection) continue;
      result.found = true;
      if (valueText(rest, line) !== undefined) {
        throw new FileSyntaxError(line, `"${section}:" must be followed by its options on the next lines, indented`);
      }
      continue;
    }
    if (!inSection) continue;

    if (content.startsWith('- ') || content === '-') {
      if (listKey === undefined || indent < listKey.indent) {
        throw new FileSyntaxError(line, 'a list item must follow a key with no value on its own line (env:, then - A=1)');
      }
      const item = content.slice(1).trim();
      if (item === '' || item.startsWith('#')) throw new FileSyntaxError(line, 'a list item has no value');
      result.entries.push({ key: listKey.key, value: scalar(item, 0, line, false).value, line });
      listKey.items++;
      continue;
    }

    optionIndent ??= indent;
    if (indent !== optionIndent) {
      throw new FileSyntaxError(line, indent > optionIndent
        ? 'nested mappings and values continued on the next line are not supported; write each value on one line'
        : `an option is indented less than the options before it (${optionIndent} spaces)`);
    }
    closeList();
    const { key, rest } = splitKey(content, line);
    const values = valueText(rest, line);
    if (values === undefined) {
      listKey = { key, indent, line, items: 0 };
      continue;
    }
    for (const value of values) result.entries.push({ key, value, line } satisfies KeyValue);
  }
  closeList();
  return result;
}

/** `key: rest` → key and rest; the key may be quoted. */
function splitKey(content: string, line: number): { key: string; rest: string } {
  if (content.startsWith('"') || content.startsWith("'")) {
    const { value, end } = quoted(content, 0, line);
    const after = content.slice(end);
    if (!/^:( |$)/.test(after)) throw new FileSyntaxError(line, "expected ':' after the key");
    return { key: value, rest: after.slice(1) };
  }
  const colon = content.search(/:( |$)/);
  if (colon === -1) throw new FileSyntaxError(line, "expected 'key: value'");
  return { key: content.slice(0, colon), rest: content.slice(colon + 1) };
}

/**
 * The values a key's text stands for: one for a scalar, one per item for a flow list `[a, b]`, or
 * undefined when there is nothing (the values may then follow as `- item` lines).
 */
function valueText(rest: string, line: number): string[] | undefined {
  const text = rest.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  if (text.startsWith('[')) return flowList(text, line);
  return [scalar(text, 0, line, false).value];
}

/** `[a, 'b c', "d"]`, all on one line. */
function flowList(text: string, line: number): string[] {
  const items: string[] = [];
  let position = 1;
  for (;;) {
    position = skipSpaces(text, position);
    if (text[position] === ']') break;
    const item = scalar(text, position, line, true);
    items.push(item.value);
    position = skipSpaces(text, item.end);
    if (text[position] === ',') {
      position++;
      continue;
    }
    if (text[position] !== ']') throw new FileSyntaxError(line, "a list in brackets must end with ']' on the same line");
    break;
  }
  ensureNothingAfter(text, position + 1, line);
  return items;
}

/**
 * One scalar starting at `start`: quoted, or plain up to the end of the line (or, in a list in
 * brackets, up to `,` or `]`) or a comment. Returns the value and where it ends.
 */
function scalar(text: string, start: number, line: number, inList: boolean): { value: string; end: number } {
  const first = text[start];
  if (first === '"' || first === "'") {
    const result = quoted(text, start, line);
    if (!inList) ensureNothingAfter(text, result.end, line);
    return result;
  }
  if (first !== undefined && '[]{}'.includes(first)) {
    throw new FileSyntaxError(line, 'nested lists and mappings in brackets are not supported');
  }
  if (first !== undefined && '|>'.includes(first)) {
    throw new FileSyntaxError(line, `block values (${first}) are not supported; write the value on one line, quoted if needed`);
  }
  if (first !== undefined && '&*!'.includes(first)) {
    throw new FileSyntaxError(line, 'anchors, aliases and tags are not supported');
  }
  if (first !== undefined && '%@`'.includes(first)) {
    throw new FileSyntaxError(line, `a YAML value cannot start with ${first}: quote it, e.g. '${text.slice(start).trim()}'`);
  }
  let end = start;
  while (end < text.length && !(inList && ',]'.includes(text[end])) && !(text[end] === '#' && text[end - 1] === ' ')) end++;
  const value = text.slice(start, end).trim();
  if (/: |:$/.test(value)) throw new FileSyntaxError(line, `a value cannot contain ': ' unless it is quoted: '${value}'`);
  return { value, end };
}

const DOUBLE_QUOTED_ESCAPES = new Map([
  ['0', '\0'], ['a', '\x07'], ['b', '\b'], ['t', '\t'], ['\t', '\t'], ['n', '\n'], ['v', '\v'], ['f', '\f'],
  ['r', '\r'], ['e', '\x1b'], [' ', ' '], ['"', '"'], ['/', '/'], ['\\', '\\'], ['N', '\x85'], ['_', '\xa0'],
  ['L', '\u2028'], ['P', '\u2029'],
]);
const HEX_ESCAPE_LENGTHS = new Map([['x', 2], ['u', 4], ['U', 8]]);

/** A quoted string starting at `start`, closed on the same line: its value and the index after it. */
function quoted(text: string, start: number, line: number): { value: string; end: number } {
  const quote = text[start];
  let value = '';
  for (let position = start + 1; position < text.length; position++) {
    const char = text[position];
    if (char === quote) {
      if (quote === "'" && text[position + 1] === "'") {
        value += "'";
        position++;
        continue;
      }
      return { value, end: position + 1 };
    }
    if (quote === '"' && char === '\\') {
      const escape = text[++position] ?? '';
      const hexLength = HEX_ESCAPE_LENGTHS.get(escape);
      if (hexLength !== undefined) {
        const hex = text.slice(position + 1, position + 1 + hexLength);
        if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new FileSyntaxError(line, `bad escape \\${escape}${hex}`);
        value += String.fromCodePoint(parseInt(hex, 16));
        position += hexLength;
      } else if (DOUBLE_QUOTED_ESCAPES.has(escape)) {
        value += DOUBLE_QUOTED_ESCAPES.get(escape);
      } else {
        throw new FileSyntaxError(line, `unknown escape \\${escape}`);
      }
      continue;
    }
    value += char;
  }
  throw new FileSyntaxError(line, 'a quoted value must be closed on the same line');
}

function skipSpaces(text: string, position: number): number {
  while (text[position] === ' ') position++;
  return position;
}

/** Only spaces, or a comment, may follow a value. */
function ensureNothingAfter(text: string, position: number, line: number): void {
  const rest = text.slice(position);
  if (rest.trim() !== '' && !/^\s+#/.test(rest)) throw new FileSyntaxError(line, `unexpected text after the value: '${rest.trim()}'`);
}
