// What every configuration reader produces: the options it found, in order, each with the place it
// came from so that errors can point there.
import type { OptionSpec } from './options.ts';

export type Origin =
  | { source: 'command line' }
  | { source: 'environment'; variable: string };

export interface OptionEvent {
  option: OptionSpec;
  /** How the option was spelled, for messages: `--workers`, `-p`. */
  spelling: string;
  /** The value as written, or undefined when the option was given without one. */
  value: string | undefined;
  origin: Origin;
}

export const COMMAND_LINE: Origin = { source: 'command line' };

/** "on the command line", "in environment variable UWSGI_PROCESSES". */
export function describeOrigin(origin: Origin): string {
  switch (origin.source) {
    case 'command line':
      return 'on the command line';
    case 'environment':
      return `in environment variable ${origin.variable}`;
  }
}
