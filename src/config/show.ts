// `nuwsgi --show-config`: the resolved configuration written as an INI file, one `key = value` line
// per option in the order the options were first given, a list option once per value. Like uWSGI's
// --show-config it shows what was given (defaults are not listed), after every file was read and
// every $(VAR), @(file) and %(name) expanded; unlike it, options appear under their canonical names,
// and the options that only steer the reading (ini, for, if-env...) are left out.
import type { Config } from './config.ts';

export function showConfig(config: Config): string {
  const lines = ['[uwsgi]'];
  for (const [name, value] of Object.entries(config.options)) {
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name} = ${String(item)}`);
  }
  return lines.join('\n') + '\n';
}
