// The JSON reader. The file is an object of sections, each an object of options:
//
//   {"uwsgi": {"http": ":8000", "processes": 4, "master": true, "env": ["A=1", "B=2"]}}
//
// as uWSGI reads it (core/json.c): a string is the value, a number is written as it stands in the
// file (4, 2.50, 1e3), true is "1", false and null are "0", an array repeats its key once per
// element, and objects nested in a section are ignored. Keys may repeat. JSON.parse would lose
// repeated keys, the spelling of numbers and the line numbers errors need, hence this small parser.
import { FileSyntaxError, type KeyValue, type SectionEntries } from './file-entries.ts';
import type { NumberedLine } from './magic.ts';

type JsonValue =
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'literal'; text: 'true' | 'false' | 'null' }
  | { kind: 'array'; items: JsonValue[] }
  | { kind: 'object'; members: JsonMember[] };

interface JsonMember {
  key: string;
  value: JsonValue;
  line: number;
}

export function readJson(lines: readonly NumberedLine[], section: string): SectionEntries {
  const root = new JsonParser(lines).parseDocument();
  if (root.kind !== 'object') throw new FileSyntaxError(lines[0]?.line ?? 1, 'expected an object of sections, such as {"uwsgi": {...}}');
  const member = root.members.find((candidate) => candidate.key === section);
  if (member === undefined) return { entries: [], found: false };
  if (member.value.kind !== 'object') {
    throw new FileSyntaxError(member.line, `"${section}" must be an object of options, such as {"processes": 4}`);
  }
  const entries: KeyValue[] = [];
  for (const { key, value, line } of member.value.members) {
    const items = value.kind === 'array' ? value.items : [value];
    for (const item of items) {
      const text = optionText(item);
      if (text !== undefined) entries.push({ key, value: text, line });
    }
  }
  return { entries, found: true };
}

/** The option value a JSON value stands for; undefined for the arrays and objects uWSGI ignores. */
function optionText(value: JsonValue): string | undefined {
  switch (value.kind) {
    case 'string':
    case 'number':
      return value.text;
    case 'literal':
      return value.text === 'true' ? '1' : '0';
    case 'array':
    case 'object':
      return undefined;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Map([['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'], ['t', '\t']]);

class JsonParser {
  private readonly text: string;
  private readonly lineNumbers: number[];
  private position = 0;
  /** Index into lineNumbers of the line `position` is on. */
  private lineIndex = 0;

  constructor(lines: readonly NumberedLine[]) {
    this.text = lines.map((line) => line.text).join('\n');
    this.lineNumbers = lines.map((line) => line.line);
  }

  parseDocument(): JsonValue {
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.position < this.text.length) this.fail('unexpected text after the end of the JSON document');
    return value;
  }

  private get line(): number {
    return this.lineNumbers[this.lineIndex] ?? this.lineNumbers.at(-1) ?? 1;
  }

  private fail(message: string): never {
    throw new FileSyntaxError(this.line, `invalid JSON: ${message}`);
  }

  private skipWhitespace(): void {
    for (; this.position < this.text.length; this.position++) {
      const char = this.text[this.position];
      if (char === '\n') this.lineIndex++;
      else if (char !== ' ' && char !== '\t' && char !== '\r') return;
    }
  }

  private parseValue(): JsonValue {
    this.skipWhitespace();
    const char = this.text[this.position];
    if (char === '{') return this.parseObject();
    if (char === '[') return this.parseArray();
    if (char === '"') return { kind: 'string', text: this.parseString() };
    for (const literal of ['true', 'false', 'null'] as const) {
      if (this.text.startsWith(literal, this.position)) {
        this.position += literal.length;
        return { kind: 'literal', text: literal };
      }
    }
    NUMBER.lastIndex = this.position;
    const number = NUMBER.exec(this.text);
    if (number === null) this.fail(char === undefined ? 'the document ends too early' : `unexpected '${char}'`);
    this.position += number[0].length;
    return { kind: 'number', text: number[0] };
  }

  private parseObject(): JsonValue {
    const members: JsonMember[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return { kind: 'object', members };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail('expected a key in double quotes');
      const line = this.line;
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail(`expected ':' after "${key}"`);
      this.position++;
      members.push({ key, value: this.parseValue(), line });
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === '}') return { kind: 'object', members };
      if (next !== ',') this.fail("expected ',' or '}'");
    }
  }

  private parseArray(): JsonValue {
    const items: JsonValue[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.parseValue());
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === ']') return { kind: 'array', items };
      if (next !== ',') this.fail("expected ',' or ']'");
    }
  }

  private parseString(): string {
    let result = '';
    this.position++;
    for (;;) {
      const char = this.text[this.position++];
      if (char === undefined || char === '\n') this.fail('a string is not closed');
      if (char === '"') return result;
      if (char < ' ') this.fail('control characters must be escaped in strings');
      if (char !== '\\') {
        result += char;
        continue;
      }
      const escape = this.text[this.position++];
      if (escape === 'u') {
        const hex = this.text.slice(this.position, this.position + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('\\u must be followed by four hex digits');
        result += String.fromCharCode(parseInt(hex, 16));
        this.position += 4;
      } else if (escape !== undefined && ESCAPES.has(escape)) {
        result += ESCAPES.get(escape);
      } else {
        this.fail(`unknown escape \\${escape ?? ''}`);
      }
    }
  }
}
