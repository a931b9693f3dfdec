// Naming and parsing configuration files: `app.ini:production` names the file and the section to
// read, the extension tells `include` (and a bare `app.ini` on the command line) which reader to use,
// and each reader turns the text, its magic variables already substituted, into key/value pairs.
import type { SectionEntries } from './file-entries.ts';
import { readIni } from './ini.ts';
import { readJson } from './json.ts';
import type { NumberedLine } from './magic.ts';
import { readYaml, type YamlSection } from './yaml.ts';

export type ConfigFormat = 'ini' | 'json' | 'yaml';

/** The section read when none is named. */
export const DEFAULT_SECTION = 'uwsgi';

/**
 * `app.ini:production` → app.ini and production. The section follows the last colon after the last
 * slash, so a directory name with a colon in it stays whole; `:production` alone names no file.
 */
export function splitSection(argument: string): { file: string; section: string | undefined } {
  const colon = argument.lastIndexOf(':');
  if (colon === -1 || colon < argument.lastIndexOf('/')) return { file: argument, section: undefined };
  const section = argument.slice(colon + 1);
  return { file: argument.slice(0, colon), section: section === '' ? undefined : section };
}

const EXTENSIONS = new Map<string, ConfigFormat | 'xml'>([
  ['.ini', 'ini'],
  ['.json', 'json'],
  ['.js', 'json'],
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.xml', 'xml'],
]);

/** The format a file name announces, as uWSGI's uwsgi_opt_load tells it; undefined if none. */
export function formatOfName(file: string): ConfigFormat | 'xml' | undefined {
  const dot = file.lastIndexOf('.');
  return dot === -1 ? undefined : EXTENSIONS.get(file.slice(dot));
}

/** The pairs of `section` in a file of `format`. Throws FileSyntaxError. */
export function readSection(format: ConfigFormat, lines: readonly NumberedLine[], section: string): SectionEntries | YamlSection {
  switch (format) {
    case 'ini':
      return readIni(lines, section);
    case 'json':
      return readJson(lines, section);
    case 'yaml':
      return readYaml(lines, section);
  }
}

/** "no such file", "permission denied"... for messages about a file that could not be read. */
export function fileErrorReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return (error as Error).message;
  }
}
