// The options of the request log and the master's log lines: uWSGI's `log-*` family (core/uwsgi.c).
// Part of the option table (options.ts); src/observe/ carries them out. `disable-logging` is in
// serving-options.ts, `logto` and `daemonize` in supervision-options.ts.
import { logFormatProblem, parseLogFormat, type LogFormat } from './log-format.ts';
import type { FlagSpec, ListSpec, NumberSpec, OptionSpec, StringSpec } from './option-spec.ts';

function flag(name: string, help: string): FlagSpec {
  return { name, aliases: [], kind: 'flag', arg: 'optional', default: false, help, expected: 'no value, or =false/off/no/0' };
}

function threshold(name: string, kind: 'int' | 'size', placeholder: string, help: string, example: number): NumberSpec {
  return {
    name, aliases: [], kind, arg: 'required', default: 0, placeholder, help,
    expected: `a whole number${kind === 'size' ? ' of bytes' : ' of milliseconds'}, e.g. --${name} ${example}`,
  };
}

/** The log encoders nuwsgi applies (uWSGI's `log-encoder` chain): only `json`, alone, with its own schema. */
export function logEncoderProblem(text: string): string | undefined {
  if (text === 'json') return undefined;
  const [name] = text.split(/[ :]/, 1);
  if (name === 'json') return 'a json encoder with a template is not supported: nuwsgi writes its own fixed fields (docs/compat.md)';
  if (text.includes(':')) return 'named loggers are not supported';
  return `the ${name} encoder is not supported (format, prefix, suffix, nl, gzip and compress are not implemented)`;
}

const logFormat: StringSpec = {
  name: 'log-format',
  aliases: ['logformat'],
  kind: 'string',
  arg: 'required',
  default: undefined,
  placeholder: 'FORMAT',
  check: logFormatProblem,
  help: 'write each request line with this template of %(var)s: %(addr) %(method) %(uri) %(status) %(msecs) %(var.HTTP_X_...)...',
  expected: 'a template of %(name) variables (docs/compat.md#request-log), e.g. --log-format "%(addr) %(method) %(uri) %(status)"',
};

const logDate: StringSpec = {
  name: 'log-date',
  aliases: ['logdate'],
  kind: 'string',
  arg: 'optional',
  bare: '',
  pattern: /^[^\n]*$/,
  default: undefined,
  placeholder: 'STRFTIME',
  help: "prefix the master's own lines with the date: ctime's, or this strftime format, then \" - \"",
  expected: 'no value, or a strftime format, e.g. --log-date="%Y-%m-%d %H:%M:%S"',
};

const logEncoder: ListSpec = {
  name: 'log-encoder',
  aliases: [],
  kind: 'list',
  arg: 'required',
  default: [],
  placeholder: 'ENCODER',
  check: logEncoderProblem,
  help: 'json: every log line (requests, the master\'s events, the workers\' output) as one JSON object',
  expected: 'json, e.g. --log-encoder json',
};

export const LOG_OPTIONS = [
  { ...logFormat, field: 'logFormat', restart: true, convert: (value: string | undefined): LogFormat | undefined => (value === undefined ? undefined : parseLogFormat(value) as LogFormat) },
  { ...flag('log-micros', 'the default request line gives the response time in microseconds'), field: 'logMicros', restart: true },
  { ...flag('log-4xx', 'with disable-logging, still log the requests answered with a 4xx status'), field: 'log4xx', restart: true },
  { ...flag('log-5xx', 'with disable-logging, still log the requests answered with a 5xx status'), field: 'log5xx', restart: true },
  {
    ...threshold('log-slow', 'int', 'MSECS', 'with disable-logging, still log the requests that took longer than MSECS', 1000),
    field: 'logSlow',
    restart: true,
  },
  {
    ...threshold('log-big', 'size', 'BYTES', 'with disable-logging, still log the responses larger than BYTES', 1048576),
    field: 'logBig',
    restart: true,
  },
  { ...flag('log-zero', 'with disable-logging, still log the responses without a body'), field: 'logZero', restart: true },
  {
    ...flag('log-x-forwarded-for', "log X-Forwarded-For as the address of the requests of trusted proxies (--trusted-proxy)"),
    field: 'logXForwardedFor',
    restart: true,
  },
  {
    ...logDate,
    field: 'logDate',
    restart: true,
    // uWSGI takes a flag's words for "no format": `log-date = true` in an ini file is ctime's date
    convert: (value: string | undefined): string | undefined =>
      (value !== undefined && /^(true|1|on|yes)$/i.test(value) ? '' : value),
  },
  {
    name: 'log-prefix',
    aliases: [],
    kind: 'string',
    arg: 'required',
    default: undefined,
    placeholder: 'TEXT',
    help: "prefix the master's own lines with TEXT, then \" - \" (instead of log-date's date)",
    expected: 'a string, e.g. --log-prefix myapp',
    field: 'logPrefix',
    restart: true,
  },
  { ...logEncoder, field: 'logEncoder', restart: true, convert: (values: string[]): 'json' | undefined => (values.length > 0 ? 'json' : undefined) },
] as const satisfies readonly OptionSpec[];
