// The INI reader, line for line uWSGI's (core/ini.c): after the magic variables are substituted,
// each line is stripped of spaces, tabs and carriage returns at both ends; `[name]` starts a
// section; a line starting with `;` or `#` is a comment (there are no comments after a value);
// `key = value` splits at the first `=`, and a key alone has the value ''. Only the lines of the
// section asked for are kept, and keys before the first section belong to none.
import type { SectionEntries } from './file-entries.ts';
import type { NumberedLine } from './magic.ts';

const BLANKS = /^[ \t\r]+|[ \t\r]+$/g;

export function readIni(lines: readonly NumberedLine[], section: string): SectionEntries {
  const result: SectionEntries = { entries: [], found: false };
  let current = '';
  for (const { text, line } of lines) {
    const stripped = text.replace(BLANKS, '');
    if (stripped === '' || stripped.startsWith(';') || stripped.startsWith('#')) continue;
    if (stripped.startsWith('[')) {
      // Like uWSGI, the last character is dropped whatever it is: `[uwsgi` is the section `uwsg`.
      current = stripped.slice(1, -1);
      continue;
    }
    if (current !== section) continue;
    result.found = true;
    const equals = stripped.indexOf('=');
    if (equals === -1) {
      result.entries.push({ key: stripped, value: '', line });
    } else {
      result.entries.push({
        key: stripped.slice(0, equals).replace(BLANKS, ''),
        value: stripped.slice(equals + 1).replace(BLANKS, ''),
        line,
      });
    }
  }
  return result;
}
