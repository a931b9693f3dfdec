// Every warning the configuration loader gives: things uWSGI accepts silently, or with a warning of
// its own, that nuwsgi accepts the same way but points out. Each is a line ready to print.
import { type ConfigEntry, describeEntry, describeOrigin } from './events.ts';

const PREFIX = 'nuwsgi: warning:';

export function missingSection(file: string, section: string): string {
  return `${PREFIX} ${file} has no [${section}] section: nothing was read from it`;
}

export function unknownKey(entry: ConfigEntry, suggestion: string | undefined): string {
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  return `${PREFIX} ${describeEntry(entry)} is neither an option nor used as a placeholder: ignored${hint}`;
}

/** A `%` followed by a character that names no magic variable, which uWSGI removes. */
export function unknownMagic(sequence: string, file: string, line: number): string {
  if (sequence === '%\n' || sequence === '%\r') {
    return `${PREFIX} the % at the end of ${file} line ${line} joins the next line to it, as in uWSGI (write %% for a %)`;
  }
  return `${PREFIX} ${sequence} in ${file} line ${line} is not a magic variable and was removed, as in uWSGI ` +
    `(write %${sequence} for a literal ${sequence})`;
}

export function unreadableLinesFile(file: string, opener: ConfigEntry, reason: string): string {
  return `${PREFIX} cannot read ${file} (${describeEntry(opener)}): ${reason}; the block repeats nothing, as in uWSGI`;
}

export function longLineSplit(file: string, opener: ConfigEntry): string {
  return `${PREFIX} ${file} (${describeEntry(opener)}) has lines longer than 1023 bytes: ` +
    'each was split into several values, as uWSGI does';
}

export function blockLeftOpen(opener: ConfigEntry, file: string): string {
  return `${PREFIX} the ${opener.spelling} block opened ${describeOrigin(opener.origin)} is still open at the end ` +
    `of ${file}: it goes on over every option that follows (close it with endfor or endif)`;
}

export function commandLineOnly(entry: ConfigEntry): string {
  return `${PREFIX} ${describeEntry(entry)} is ignored: it only has a meaning on the command line`;
}

export function valueless(key: string, file: string, line: number): string {
  return `${PREFIX} ${key} in ${file} line ${line} has no value and is ignored, as in uWSGI ` +
    `(write ${key}: true for a flag)`;
}
