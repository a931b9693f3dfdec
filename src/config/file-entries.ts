// What the readers of configuration files (ini.ts, json.ts, yaml.ts) produce: the `key = value`
// pairs of the section asked for, in order, with repeated keys kept, each with its line.

export interface KeyValue {
  key: string;
  value: string;
  /** The line of the file it was read from, counting from 1. */
  line: number;
}

export interface SectionEntries {
  entries: KeyValue[];
  /** Whether the file has the section asked for (with at least one key, for INI). */
  found: boolean;
}

/** The text is not valid in its format: `line` is where, the message says what. */
export class FileSyntaxError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(message);
    this.name = 'FileSyntaxError';
    this.line = line;
  }
}
