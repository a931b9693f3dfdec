// The options that steer how the configuration is read rather than how the server runs: loading
// files (`ini`, `include`...), declaring placeholders, and the `for`/`if-*` blocks. They are part of
// the option table (options.ts), so they work on the command line, in UWSGI_* variables (the Docker
// idiom UWSGI_INI=/app/uwsgi.ini) and in files alike; loader.ts carries them out and they never
// reach the resolved configuration. All but `inherit` are immediate, as in uWSGI: they act as they
// are read, so $(VAR), @(file) and %(name) are never expanded in their values.
import type { OptionSpec } from './option-spec.ts';

function fileOption(name: string, aliases: string[], short: string | undefined, help: string, example: string): OptionSpec {
  return {
    name,
    aliases,
    ...(short === undefined ? {} : { short }),
    kind: 'list',
    arg: 'required',
    default: [],
    immediate: true,
    placeholder: 'FILE[:SECTION]',
    help,
    expected: `a file name, optionally followed by :section, e.g. ${example}`,
  };
}

function blockOption(name: string, aliases: string[], placeholder: string, help: string, example: string): OptionSpec {
  return {
    name,
    aliases,
    kind: 'list',
    arg: 'required',
    default: [],
    immediate: true,
    placeholder,
    help,
    expected: example,
  };
}

function closingOption(name: string, aliases: string[], block: string): OptionSpec {
  return {
    name,
    aliases,
    kind: 'flag',
    arg: 'optional',
    default: false,
    immediate: true,
    help: `close the ${block} block (any of endfor, endif, end closes any block)`,
    expected: 'no value (a value is ignored)',
  };
}

export const LOADING_OPTIONS = [
  fileOption('ini', [], undefined, 'read options from the [uwsgi] section (or :SECTION) of an INI file, here',
    'ini = app.ini:production'),
  fileOption('json', ['js'], 'j', 'read options from the "uwsgi" object (or :SECTION) of a JSON file, here',
    '--json app.json'),
  fileOption('yaml', ['yml'], 'y', 'read options from the uwsgi: mapping (or :SECTION) of a YAML file, here',
    '--yaml app.yaml'),
  fileOption('include', [], undefined, 'read options from a file here, its format told by its extension',
    'include = %dcommon.ini'),
  {
    ...fileOption('inherit', [], undefined,
      "read options from a file after all others (its values are not expanded), as uWSGI's inherit does",
      'inherit = base.ini'),
    immediate: false,
  },
  {
    name: 'set-placeholder',
    aliases: ['set-ph'],
    kind: 'list',
    arg: 'required',
    default: [],
    immediate: true,
    placeholder: 'NAME=VALUE',
    help: 'declare a placeholder for %(NAME), without expanding VALUE',
    expected: 'NAME=VALUE where NAME is not an option, e.g. set-placeholder = base=/srv/app',
  },
  blockOption('for', [], 'ITEMS', 'repeat the options up to endfor once per space-separated item, as %(_)',
    'items separated by spaces, e.g. for = 8000 8001'),
  blockOption('for-times', [], 'N', 'repeat the options up to endfor for %(_) = 1 to N',
    'a whole number, e.g. for-times = 4'),
  blockOption('for-readline', [], 'FILE', 'repeat the options up to endfor once per line of FILE, as %(_)',
    'a file name, relative to the working directory, e.g. for-readline = .envs'),
  closingOption('endfor', ['end-for'], 'for'),
  blockOption('if-env', ['ifenv'], 'VAR[=VALUE]', 'keep the options up to endif if VAR is set (to VALUE); %(_) is its value',
    'a variable name, optionally =value, e.g. if-env = DEBUG'),
  blockOption('if-not-env', [], 'VAR[=VALUE]', 'keep the options up to endif unless VAR is set (to VALUE)',
    'a variable name, optionally =value, e.g. if-not-env = DEBUG'),
  blockOption('if-exists', ['ifexists'], 'PATH', 'keep the options up to endif if PATH exists and is readable; %(_) is PATH',
    'a path, e.g. if-exists = /etc/app/local.ini'),
  blockOption('if-not-exists', [], 'PATH', 'keep the options up to endif unless PATH exists and is readable',
    'a path, e.g. if-not-exists = /etc/app/local.ini'),
  blockOption('if-file', [], 'PATH', 'keep the options up to endif if PATH is a regular file; %(_) is PATH',
    'a path, e.g. if-file = local.ini'),
  blockOption('if-not-file', [], 'PATH', 'keep the options up to endif unless PATH is a regular file',
    'a path, e.g. if-not-file = local.ini'),
  blockOption('if-dir', ['ifdir', 'if-directory'], 'PATH', 'keep the options up to endif if PATH is a directory; %(_) is PATH',
    'a path, e.g. if-dir = /srv/app/static'),
  blockOption('if-not-dir', [], 'PATH', 'keep the options up to endif unless PATH is a directory',
    'a path, e.g. if-not-dir = /srv/app/static'),
  blockOption('if-opt', [], 'NAME[=VALUE]', 'keep the options up to endif if NAME was given before (as VALUE); %(_) is its value',
    'an option or placeholder name, optionally =value, e.g. if-opt = master'),
  blockOption('if-not-opt', [], 'NAME[=VALUE]', 'keep the options up to endif unless NAME was given before (as VALUE)',
    'an option or placeholder name, optionally =value, e.g. if-not-opt = master'),
  closingOption('endif', ['end-if', 'end'], 'if'),
] as const satisfies readonly OptionSpec[];
