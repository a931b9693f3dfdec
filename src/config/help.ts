// `nuwsgi --help`, generated from the option table.
import type { OptionSpec } from './option-spec.ts';
import { OPTIONS } from './options.ts';

const INTRODUCTION = [
  'Usage: nuwsgi [OPTIONS] [app.ini | app.py | package.module:callable]',
  '       nuwsgi check [OPTIONS]   (check the configuration, and exit)',
  '       nuwsgi top [--interval SECONDS] [--once] ADDR   (a live view of the stats server at ADDR)',
  '       nuwsgi init [DIR] [--force] [--dry-run] ...   (write the ini, systemd unit and nginx site of the app in DIR)',
  '',
  "Serves a Python WSGI application. Option names and meanings are uWSGI's.",
  'Every option can also be set in a configuration file (--ini app.ini, --json, --yaml), where',
  'it is written without the dashes (processes = 4), or as an environment variable',
  'UWSGI_<NAME>, e.g. UWSGI_PROCESSES=4; the command line wins over the environment.',
  '',
  'Options:',
];

export function helpText(): string {
  const rows = OPTIONS.map((option) => ({ synopsis: synopsis(option), details: details(option) }));
  const width = Math.max(...rows.map((row) => row.synopsis.length)) + 2;
  const lines = [...INTRODUCTION];
  for (const { synopsis, details } of rows) {
    lines.push(synopsis.padEnd(width) + details[0]);
    for (const line of details.slice(1)) lines.push(' '.repeat(width) + line);
  }
  return lines.join('\n') + '\n';
}

/** `  -p, --processes N`, `      --http ADDR`, `      --http-keepalive[=SECONDS]`. */
function synopsis(option: OptionSpec): string {
  const short = option.short === undefined ? '    ' : `-${option.short}, `;
  const placeholder = valuePlaceholder(option);
  let value = '';
  if (option.kind !== 'flag' && option.arg === 'required') value = ` ${placeholder}`;
  if (option.kind !== 'flag' && option.arg === 'optional') value = `[=${placeholder}]`;
  return `  ${short}--${option.name}${value}`;
}

/** The value's name: the table's placeholder, or one derived from the kind. */
export function valuePlaceholder(option: OptionSpec): string {
  if (option.placeholder !== undefined) return option.placeholder;
  switch (option.kind) {
    case 'int':
      return 'N';
    case 'size':
      return 'BYTES';
    default:
      return 'VALUE';
  }
}

/** The help line (with the default), then the aliases and the expected form. */
function details(option: OptionSpec): string[] {
  const shownDefault = describeDefault(option);
  const summary = shownDefault === undefined ? option.help : `${option.help} (default: ${shownDefault})`;
  const aliases = option.aliases.map((alias) => `--${alias}`).join(', ');
  const expects = `expects ${option.expected}`;
  return [summary, aliases === '' ? expects : `also ${aliases}; ${expects}`];
}

/** Nothing for defaults that go without saying: off, unset, empty. */
function describeDefault(option: OptionSpec): string | undefined {
  switch (option.kind) {
    case 'flag':
      return option.default ? 'on' : undefined;
    case 'int':
    case 'size':
      return String(option.default);
    case 'string':
      return option.default;
    case 'list':
      return option.default.length === 0 ? undefined : option.default.join(', ');
  }
}
