// docs/options.md, generated from the option table (src/config/options.ts and the themed tables it
// assembles), the same table `nuwsgi --help` is rendered from.
//
//   npm run docs:options        # rewrites docs/options.md
//
// test/options-reference.test.ts fails when docs/options.md no longer matches the table.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { valuePlaceholder } from '../src/config/help.ts';
import { LOADING_OPTIONS } from '../src/config/loading-options.ts';
import type { OptionSpec } from '../src/config/option-spec.ts';
import { OPTIONS } from '../src/config/options.ts';
import { TLS_OPTIONS } from '../src/config/tls-options.ts';

export const REFERENCE_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'options.md');

const INTRODUCTION = `# Options reference

<!-- Generated from the option table (src/config/options.ts and the tables it assembles) by
\`npm run docs:options\`: edit the option table, not this file. -->

Every option nuwsgi understands, as in its option table (\`nuwsgi --help\` shows the same table in
short). Names and meanings are uWSGI 2.0's; [compat.md](compat.md) lists every uWSGI option,
including those nuwsgi does not support yet, and where nuwsgi differs.

An option can be given in three places:

- **On the command line**, by its name, any of its aliases, or its short letter: \`--processes 4\`,
  \`--processes=4\`, \`--workers 4\`, \`-p 4\`, \`-p4\`. An option whose value is optional takes it only
  attached with \`=\` (\`--chmod-socket=660\`); a flag needs no value (\`--vacuum\`) and is turned off
  with \`=false\`, \`=off\`, \`=no\` or \`=0\`.
- **In a configuration file** (\`--ini app.ini\`, \`--json app.json\`, \`--yaml app.yaml\`, or just
  \`nuwsgi app.ini\`), without the dashes: \`processes = 4\` in the \`[uwsgi]\` section of an INI file,
  \`"processes": 4\` in the \`"uwsgi"\` object of a JSON file, \`processes: 4\` under \`uwsgi:\` in YAML.
  A key that names no option is a placeholder for \`%(key)\`, as in uWSGI.
- **As an environment variable** \`UWSGI_<NAME>\`: the name in capitals, with \`_\` for \`-\`
  (\`UWSGI_PROCESSES=4\`, \`UWSGI_WSGI_FILE=app.py\`, \`UWSGI_INI=/app/uwsgi.ini\`). The command line wins
  over the environment. Options marked "command line only" are ignored there.

A single-valued option given more than once keeps the last value; a list option (marked
"repeatable") keeps every value, in order.
`;

/** The sections of the reference, in order; an option the table adds goes to "Other options". */
const GROUPS = [
  {
    title: 'Listeners',
    names: ['http', 'socket', 'uwsgi-socket', 'http-socket', 'protocol', 'listen', 'chmod-socket', 'chown-socket',
      'vacuum', 'socket-timeout', 'http-timeout', 'uwsgi-allow', 'trusted-proxy', 'buffer-size', 'http-keepalive'],
  },
  { title: 'TLS (HTTPS listeners)', names: TLS_OPTIONS.map((option) => option.name) },
  {
    title: 'The application',
    names: ['wsgi-file', 'module', 'callable', 'mount', 'manage-script-name', 'chdir', 'chdir2', 'home',
      'pythonpath', 'env', 'catch-exceptions'],
  },
  {
    title: 'Workers',
    names: ['processes', 'threads', 'gevent', 'async', 'enable-threads', 'master', 'uid', 'gid',
      'worker-reload-mercy', 'die-on-term', 'forkbomb-delay', 'py-autoreload'],
  },
  { title: 'Logging', names: ['disable-logging'] },
  { title: 'Reading the configuration', names: ['plugins', 'strict', ...LOADING_OPTIONS.map((option) => option.name)] },
  { title: 'Other options', names: [] },
  { title: 'Commands', names: OPTIONS.filter((option) => option.commandLineOnly).map((option) => option.name) },
] as const;

const OTHER = 'Other options';

const KINDS: Record<OptionSpec['kind'], string> = {
  flag: 'on unless the value is false, off, no (any case) or exactly 0; no value means on',
  int: 'a non-negative whole number',
  size: 'a number of bytes, as a plain whole number (no k/m suffixes)',
  string: 'a single value',
  list: 'repeatable: every value is kept, in order',
};

/** The whole of docs/options.md. */
export function optionsReference(): string {
  const sections = new Map<string, OptionSpec[]>(GROUPS.map((group) => [group.title, []]));
  for (const option of OPTIONS) {
    const group = GROUPS.find((candidate) => (candidate.names as readonly string[]).includes(option.name));
    sections.get(group?.title ?? OTHER)!.push(option);
  }
  const parts = [INTRODUCTION];
  for (const [title, options] of sections) {
    if (options.length === 0) continue;
    parts.push(`## ${title}\n\n${options.map((option) => `- [\`${option.name}\`](#${option.name})`).join('\n')}\n`);
    for (const option of options) parts.push(describe(option));
  }
  return parts.join('\n');
}

function describe(option: OptionSpec): string {
  const lines = [
    `### ${option.name}`,
    '',
    `${sentence(option.help)}.`,
    '',
    `- Command line: ${commandLineForms(option).join(', ')}`,
  ];
  if (option.aliases.length > 0) lines.push(`- Aliases: ${option.aliases.map((alias) => `\`${alias}\``).join(', ')}`);
  if (option.commandLineOnly) {
    lines.push('- Command line only');
  } else {
    const env = `UWSGI_${option.name.toUpperCase().replaceAll('-', '_')}`;
    lines.push(`- In a file: \`${option.name} = ${fileValue(option)}\`; environment: \`${env}\``);
  }
  if (option.arg !== 'none') lines.push(`- Kind: ${option.kind} (${KINDS[option.kind]})`);
  if (!option.commandLineOnly) lines.push(`- Default: ${defaultText(option)}`);
  lines.push(`- Expects: ${option.expected}`);
  if (option.immediate) {
    lines.push('- Acts as soon as it is read: `$(VAR)`, `@(file)` and `%(name)` are not expanded in its value');
  }
  return lines.join('\n') + '\n';
}

/** The help line as a sentence: capitalized, unless it starts with the name nuwsgi. */
function sentence(help: string): string {
  return help.startsWith('nuwsgi') ? help : help[0].toUpperCase() + help.slice(1);
}

/** `--processes N`, `-p N`; `--vacuum`, `-M`; `--chmod-socket[=MODE]`, `-C[MODE]`, no value means 666. */
function commandLineForms(option: OptionSpec): string[] {
  const placeholder = valuePlaceholder(option);
  if (option.kind === 'flag' || option.arg === 'none') {
    return [`\`--${option.name}\``, ...(option.short === undefined ? [] : [`\`-${option.short}\``])];
  }
  if (option.arg === 'required') {
    return [`\`--${option.name} ${placeholder}\``, ...(option.short === undefined ? [] : [`\`-${option.short} ${placeholder}\``])];
  }
  return [
    `\`--${option.name}[=${placeholder}]\``,
    ...(option.short === undefined ? [] : [`\`-${option.short}[${placeholder}]\``]),
    `no value means ${option.bare ?? (option.kind === 'int' ? '1' : 'an empty value')}`,
  ];
}

function fileValue(option: OptionSpec): string {
  return option.kind === 'flag' ? 'true' : valuePlaceholder(option);
}

function defaultText(option: OptionSpec): string {
  switch (option.kind) {
    case 'flag':
      return option.default ? 'on' : 'off';
    case 'int':
    case 'size':
      return `\`${option.default}\``;
    case 'string':
      return option.default === undefined ? 'none' : `\`${option.default}\``;
    case 'list':
      return option.default.length === 0 ? 'none' : option.default.map((value) => `\`${value}\``).join(', ');
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  fs.writeFileSync(REFERENCE_PATH, optionsReference());
  console.log(`wrote ${path.relative(process.cwd(), REFERENCE_PATH)}`);
}
