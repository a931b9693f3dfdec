// `log-format`: uWSGI's request-line template (core/logging.c, docs LogFormat.rst), read once at
// load into literal text and variables. A variable nuwsgi cannot give, an unknown one or an unclosed
// `%(` is refused here, so the error names the file and line the option came from (values.ts).
// src/observe/request-format.ts turns the parsed template into the function that writes each line.

/** The variables computed from what every request record carries. */
export const COMPUTED_VARIABLES = [
  'uri', 'method', 'addr', 'proto', 'status', 'rsize', 'hsize', 'size', 'micros', 'msecs', 'secs',
  'tmsecs', 'tmicros', 'time', 'ltime', 'ctime', 'epoch', 'pid', 'wid', 'switches', 'core', 'vars',
  'pktsize', 'modifier1', 'modifier2', 'headers', 'rss', 'vsz', 'rssM', 'vszM',
] as const;

/** The variables read from one request var (the worker sends those a format uses, docs/channel.md). */
export const VAR_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  user: ['REMOTE_USER'],
  host: ['HTTP_HOST', 'SERVER_NAME'],
  uagent: ['HTTP_USER_AGENT'],
  referer: ['HTTP_REFERER'],
  cl: ['CONTENT_LENGTH'],
};

/** uWSGI's variables nuwsgi refuses, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  ftime: 'needs logformat-strftime, which nuwsgi does not implement; use %(ltime) or %(ctime)',
  werr: 'nuwsgi does not count write errors per request',
  rerr: 'nuwsgi does not count read errors per request',
  ioerr: 'nuwsgi does not count I/O errors per request',
};

const COMPUTED = new Set<string>(COMPUTED_VARIABLES);

export type LogFormatPart =
  | { kind: 'text'; text: string }
  | { kind: 'computed'; name: (typeof COMPUTED_VARIABLES)[number] }
  /** `%(var.NAME)` and the named request vars: the first of `vars` that is set and not empty. */
  | { kind: 'var'; name: string; vars: readonly string[] };

export interface LogFormat {
  /** The template as written. */
  text: string;
  parts: readonly LogFormatPart[];
  /** Every request var the parts read, each once, in the order first used: CONFIG's `log_vars`. */
  vars: readonly string[];
}

/** The parsed template, or a sentence saying what is wrong with it. */
export function parseLogFormat(text: string): LogFormat | string {
  const parts: LogFormatPart[] = [];
  const vars: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('%(', i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf(')', open + 2);
    if (close === -1) return `unclosed %( at character ${open + 1}: ${JSON.stringify(text.slice(open))}`;
    const name = text.slice(open + 2, close);
    const part = variablePart(name);
    if (typeof part === 'string') return part;
    if (literal !== '') parts.push({ kind: 'text', text: literal });
    literal = '';
    parts.push(part);
    if (part.kind === 'var') for (const v of part.vars) if (!vars.includes(v)) vars.push(v);
    i = close + 1;
  }
  if (literal !== '') parts.push({ kind: 'text', text: literal });
  return { text, parts, vars };
}

/** The check of the option table entry: undefined when the template parses. */
export function logFormatProblem(text: string): string | undefined {
  const parsed = parseLogFormat(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

function variablePart(name: string): LogFormatPart | string {
  if (COMPUTED.has(name)) return { kind: 'computed', name: name as (typeof COMPUTED_VARIABLES)[number] };
  const named = VAR_VARIABLES[name];
  if (named !== undefined) return { kind: 'var', name, vars: named };
  if (name.startsWith('var.')) {
    const key = name.slice(4);
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) return `variable %(${name}) names no request var`;
    return { kind: 'var', name, vars: [key] };
  }
  const refused = REFUSED[name];
  if (refused !== undefined) return `variable %(${name}) is not supported: ${refused}`;
  if (name.startsWith('metric.')) return `variable %(${name}) is not supported: nuwsgi has no uWSGI metrics subsystem (see --metrics)`;
  return `unknown variable %(${name}) (uwsgi.set_logvar() log vars are not supported)`;
}
