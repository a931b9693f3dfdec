// The loader: one pass over the entries of every source, in order (the environment's UWSGI_*
// variables, then the command line), that does what uWSGI's add_exported_option() does, so that
// every reader has the same semantics:
//
//   - immediate options act as they are read: `ini`, `json`, `yaml` and `include` splice the
//     entries of a file in place, `set-placeholder` declares a placeholder, `for`/`if-*` open a
//     block through which the following entries go until it is closed (logic.ts);
//   - once everything is read, $(VAR), @(file) and %(name) are expanded in the values of the other
//     entries (expansion.ts), then `inherit` appends the entries of its files, unexpanded;
//   - keys that name no option are placeholders: one that nothing refers to gets a warning, one that
//     names a uWSGI option nuwsgi does not have yet is an error, and with `strict` any is an error.
//
// What comes out is the list of option events resolve.ts turns into the Config.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { LoadContext } from './context.ts';
import {
  badValue,
  type ConfigError,
  configFileNotSupported,
  includeLoop,
  invalidConfigFile,
  missingJsonSection,
  nestedBlock,
  unknownConfigFormat,
  unknownKeyInStrictMode,
  unreadableConfigFile,
  unsupportedOption,
} from './errors.ts';
import type { ConfigEntry, OptionEvent } from './events.ts';
import { expandValues } from './expansion.ts';
import { FileSyntaxError, type SectionEntries } from './file-entries.ts';
import { type ConfigFormat, DEFAULT_SECTION, fileErrorReason, formatOfName, readSection, splitSection } from './files.ts';
import { LOADING_OPTIONS } from './loading-options.ts';
import { type Block, type BlockSurroundings, openBlock, opensBlock } from './logic.ts';
import {
  emptyFirstFileVariables,
  fileVariables,
  firstFileVariables,
  processVariables,
  substituteMagic,
} from './magic.ts';
import type { OptionSpec } from './option-spec.ts';
import { findOption } from './options.ts';
import { closestOptionName } from './suggest.ts';
import { isUnsupportedUwsgiOption } from './unsupported.ts';
import { convertValue } from './values.ts';
import * as warnings from './warnings.ts';

export interface LoadedConfiguration {
  /** The options, expanded, in the order they apply. */
  events: OptionEvent[];
  warnings: string[];
  /** Problems found once everything was read; each would stop the server. */
  errors: ConfigError[];
}

/**
 * Loads the configuration `entries` describe, reading the files they name. Throws ConfigError for a
 * problem that stops the reading itself (a missing file, a syntax error, nested blocks...).
 */
export function loadConfiguration(entries: readonly ConfigEntry[], context: LoadContext): LoadedConfiguration {
  const loader = new Loader(context);
  for (const entry of entries) loader.add(entry);
  return loader.finish();
}

/** The entry of a command-line or environment event, under the key it was given as. */
export function entryOfEvent(event: OptionEvent): ConfigEntry {
  const key = event.spelling.startsWith('--') ? event.spelling.slice(2) : event.option.name;
  return { key, option: event.option, spelling: event.spelling, value: event.value, origin: event.origin };
}

/** Keys that close a block, compared as written, as uWSGI does. */
const CLOSING_KEYS = new Set(['end', 'endfor', 'end-for', 'endif', 'end-if']);

const LOADING = new Set<OptionSpec>(LOADING_OPTIONS);

/** An entry as the loader keeps it: the value changes as it is expanded. */
interface Given extends ConfigEntry {
  /** False for immediate options and declared placeholders: uWSGI never expands their values. */
  expandable: boolean;
  /** Declared with set-placeholder. */
  declared: boolean;
}

interface OpenBlock {
  block: Block;
  opener: ConfigEntry;
}

type FileKind = ConfigFormat | 'include' | 'inherit';

class Loader {
  private readonly context: LoadContext;
  private readonly given: Given[] = [];
  private readonly warnings: string[] = [];
  private readonly processVariables: Map<string, string>;
  /** `%D`, `%N`...: the variables of the first file read through ini, json or yaml. */
  private firstFile: Map<string, string> | undefined;
  private block: OpenBlock | undefined;
  /** Set while the entries a block produced are being added: they bypass blocks and closers. */
  private addingBlockOutput = false;
  /** For `ini = :section`, which reads another section of the last INI file. */
  private lastIniFile: string | undefined;
  /** The real paths of the files being read, innermost last, to catch include loops. */
  private readonly reading: string[] = [];
  private readonly inherited = new Set<string>();
  /** Names that %(name) or if-opt looked up and found. */
  private readonly referenced = new Set<string>();

  constructor(context: LoadContext) {
    this.context = context;
    this.processVariables = processVariables(context);
  }

  add(entry: ConfigEntry): void {
    if (this.addingBlockOutput) {
      this.accept(entry);
      return;
    }
    if (CLOSING_KEYS.has(entry.key)) this.block = undefined;
    const open = this.block;
    if (open === undefined) {
      this.accept(entry);
      return;
    }
    this.addingBlockOutput = true;
    try {
      for (const produced of open.block.expand(entry)) this.accept(produced);
    } finally {
      this.addingBlockOutput = false;
    }
  }

  finish(): LoadedConfiguration {
    expandValues(this.given.filter((entry) => entry.expandable), {
      env: this.context.env,
      cwd: this.context.cwd,
      placeholder: (name) => this.givenValue(name),
    });
    // Entries appended by inherit are visited too, so an inherited file may inherit another.
    for (let index = 0; index < this.given.length; index++) {
      const entry = this.given[index];
      if (entry.option?.name === 'inherit') this.readFile(entry, 'inherit');
    }
    const strict = this.strictMode();
    const events: OptionEvent[] = [];
    const errors: ConfigError[] = [];
    for (const entry of this.given) {
      const option = entry.option;
      if (entry.declared) continue;
      if (option === undefined) {
        const suggestion = closestOptionName(entry.key);
        if (isUnsupportedUwsgiOption(entry.key)) errors.push(unsupportedOption(entry));
        else if (strict) errors.push(unknownKeyInStrictMode(entry, suggestion));
        else if (!this.referenced.has(entry.key)) this.warnings.push(warnings.unknownKey(entry, suggestion));
      } else if (option.commandLineOnly) {
        if (entry.origin.source !== 'command line') this.warnings.push(warnings.commandLineOnly(entry));
      } else if (!LOADING.has(option)) {
        events.push({ option, spelling: entry.spelling, value: entry.value, origin: entry.origin });
      }
    }
    return { events, warnings: this.warnings, errors };
  }

  /** Whether the last `strict` given turned it on. */
  private strictMode(): boolean {
    const last = this.given.filter((entry) => entry.option?.name === 'strict').at(-1);
    return last?.option !== undefined && convertValue({ ...last, option: last.option }) === true;
  }

  /** Adds `entry` where it stands, and carries it out if it is immediate. */
  private accept(entry: ConfigEntry): void {
    const option = entry.option;
    this.given.push({ ...entry, expandable: option?.immediate !== true, declared: false });
    if (option === undefined || option.immediate !== true) return;
    if (option.name === 'ini' || option.name === 'json' || option.name === 'yaml' || option.name === 'include') {
      this.readFile(entry, option.name);
    } else if (option.name === 'set-placeholder') {
      this.declarePlaceholder({ ...entry, option });
    } else if (opensBlock(option.name)) {
      if (this.block !== undefined) throw nestedBlock(entry, this.block.opener);
      this.block = { block: openBlock({ ...entry, option }, this.blockSurroundings()), opener: entry };
    }
  }

  private blockSurroundings(): BlockSurroundings {
    return {
      context: this.context,
      givenValue: (name: string) => this.givenValue(name),
      warn: (message: string) => this.warnings.push(message),
    };
  }

  /** The value of the first option or placeholder given as `name` (uwsgi_get_exported_opt). */
  private givenValue(name: string): string | undefined {
    const value = this.given.find((entry) => entry.key === name)?.value;
    if (value !== undefined) this.referenced.add(name);
    return value;
  }

  /** `set-placeholder = NAME=VALUE`: a placeholder whose value is taken as written. */
  private declarePlaceholder(entry: ConfigEntry & { option: OptionSpec }): void {
    const text = entry.value ?? '';
    const equals = text.indexOf('=');
    if (equals <= 0) throw badValue(entry, text);
    const name = text.slice(0, equals);
    if (findOption(name) !== undefined) {
      throw badValue(entry, text, `${name} is an option, not a placeholder; set it as ${name} = ${text.slice(equals + 1)}`);
    }
    this.given.push({
      key: name,
      option: undefined,
      spelling: name,
      value: text.slice(equals + 1),
      origin: entry.origin,
      expandable: false,
      declared: true,
    });
  }

  /** Reads the file `entry` names and adds its entries, here (or at the end, for inherit). */
  private readFile(entry: ConfigEntry, kind: FileKind): void {
    const argument = entry.value ?? '';
    const { file: named, section } = splitSection(argument);
    const file = named === '' && kind === 'ini' ? this.lastIniFile : named;
    if (file === undefined || file === '') throw badValue({ ...entry, option: entry.option as OptionSpec }, argument);
    const format = kind === 'include' || kind === 'inherit' ? formatOfFile(file, entry) : kind;

    const absolute = path.resolve(this.context.cwd, file);
    let text: string;
    let real: string;
    try {
      text = readFileSync(absolute, 'utf8');
      real = realpathSync(absolute);
    } catch (error) {
      throw unreadableConfigFile(file, entry, fileErrorReason(error));
    }
    if (this.reading.includes(real) || (kind === 'inherit' && this.inherited.has(real))) throw includeLoop(file, entry);
    if (kind === 'inherit') this.inherited.add(real);
    if (format === 'ini') this.lastIniFile = file;

    const variables = fileVariables(named, file, section, this.context.cwd);
    // Like uWSGI, a file read through include or inherit (or given bare) is never the "first".
    if (this.firstFile === undefined && kind !== 'include' && kind !== 'inherit') {
      this.firstFile = firstFileVariables(variables);
    }
    const content = this.parse(file, format, text, section ?? DEFAULT_SECTION, variables, entry);

    const openBefore = this.block;
    this.reading.push(real);
    for (const { key, value, line } of content.entries) {
      this.add({ key, option: findOption(key), spelling: key, value, origin: { source: 'file', file, line } });
    }
    this.reading.pop();
    if (this.block !== undefined && this.block !== openBefore) {
      this.warnings.push(warnings.blockLeftOpen(this.block.opener, file));
    }
  }

  /** The pairs of `section` in `text`, once its magic variables are substituted. */
  private parse(
    file: string,
    format: ConfigFormat,
    text: string,
    section: string,
    variables: Map<string, string>,
    entry: ConfigEntry,
  ): SectionEntries {
    const table = new Map([...this.processVariables, ...(this.firstFile ?? emptyFirstFileVariables()), ...variables]);
    const magic = substituteMagic(text, table);
    for (const { sequence, line } of magic.unknown) this.warnings.push(warnings.unknownMagic(sequence, file, line));
    let content;
    try {
      content = readSection(format, magic.lines, section);
    } catch (error) {
      if (error instanceof FileSyntaxError) throw invalidConfigFile(file, error.line, error.message);
      throw error;
    }
    if (!content.found) {
      if (format === 'json') throw missingJsonSection(file, section, entry);
      this.warnings.push(warnings.missingSection(file, section));
    }
    if ('valueless' in content) {
      for (const { key, line } of content.valueless) this.warnings.push(warnings.valueless(key, file, line));
    }
    return content;
  }
}

/** The format of a file named by include, inherit or a bare argument, from its extension. */
function formatOfFile(file: string, entry: ConfigEntry): ConfigFormat {
  const format = formatOfName(file);
  if (format === 'xml') throw configFileNotSupported(file, 'XML');
  if (format === undefined) throw unknownConfigFormat(file, entry);
  return format;
}
