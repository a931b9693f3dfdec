// What the configuration readers produce: the options they found, in order, each with the place it
// came from so that errors can point there. The command line and the environment name options only;
// configuration files may also hold keys that name no option, which uWSGI keeps as placeholders.
import type { OptionSpec } from './option-spec.ts';

export type Origin =
  | { source: 'command line' }
  | { source: 'environment'; variable: string }
  /** `file` as it was named (`app.ini`, `/etc/uwsgi/base.ini`); `line` counts from 1. */
  | { source: 'file'; file: string; line: number };

export interface OptionEvent {
  option: OptionSpec;
  /** How the option was spelled, for messages: `--workers`, `-p`. */
  spelling: string;
  /** The value as written, or undefined when the option was given without one. */
  value: string | undefined;
  origin: Origin;
}

/** One `key = value` as a reader found it, before the loader (loader.ts) has dealt with it. */
export interface ConfigEntry {
  /** The key as written, without dashes: `workers`, `for-readline`, `base-dir`. */
  key: string;
  /** The option the key names, or undefined for a placeholder (or a mistake). */
  option: OptionSpec | undefined;
  /** How it was spelled, for messages: `--workers`, `-p`, `workers`. */
  spelling: string;
  value: string | undefined;
  origin: Origin;
}

export const COMMAND_LINE: Origin = { source: 'command line' };

/** "on the command line", "in environment variable UWSGI_PROCESSES", "in app.ini line 3". */
export function describeOrigin(origin: Origin): string {
  switch (origin.source) {
    case 'command line':
      return 'on the command line';
    case 'environment':
      return `in environment variable ${origin.variable}`;
    case 'file':
      return `in ${origin.file} line ${origin.line}`;
  }
}

/** "--ini on the command line", "include in app.ini line 3": an entry and where it was given. */
export function describeEntry(entry: ConfigEntry): string {
  return `${entry.spelling} ${describeOrigin(entry.origin)}`;
}
