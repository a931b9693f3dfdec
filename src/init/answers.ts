// The answers `nuwsgi init` needs, each with a flag, a default, and a question asked on a
// terminal when its flag is not given. When stdin is not a terminal (a script, CI, a pipe) the
// defaults are taken without a question, so init runs non-interactively.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline/promises';
import { read, type DetectedApp, type StaticFolder } from './detect.ts';

export interface Answers {
  /** The project directory (absolute). */
  dir: string;
  /** Where the files are written (absolute); default the project directory. */
  out: string;
  /** The name of the files and units: APP.ini, APP.service, the nginx site APP. */
  name: string;
  module: string;
  /** The unix socket nginx and nuwsgi share. */
  socket: string;
  processes: number;
  user: string;
  group: string;
  /** The virtualenv, if any. */
  home: string | undefined;
  /** nginx's server_name: names separated by spaces. */
  serverName: string;
  /** nginx's listen: `80`, `127.0.0.1:8080`. */
  listen: string;
  /** limit-post, in bytes; nginx's client_max_body_size. */
  limitPost: number;
  statics: StaticFolder[];
  /** WatchdogSec=, 0 for none. */
  watchdog: number;
  socketActivation: boolean;
  /** ExecStart's command: the node binary and the nuwsgi script, both absolute. */
  execStart: string[];
  force: boolean;
  dryRun: boolean;
}

/** A flag of `nuwsgi init`: its name, what it sets, its value's form. */
interface Flag {
  name: string;
  placeholder: string;
  help: string;
}

export const INIT_FLAGS: readonly Flag[] = [
  { name: 'name', placeholder: 'NAME', help: 'name of the files and units (default: the directory name)' },
  { name: 'module', placeholder: 'MODULE:CALLABLE', help: 'the WSGI app, e.g. wsgi:app (default: detected)' },
  { name: 'socket', placeholder: 'PATH', help: 'the unix socket nginx talks to (default: /run/NAME/NAME.sock)' },
  { name: 'processes', placeholder: 'N', help: 'worker processes (default: the number of CPUs)' },
  { name: 'user', placeholder: 'USER', help: 'the user the service runs as (default: the owner of the directory)' },
  { name: 'group', placeholder: 'GROUP', help: 'its group, which nginx must be in to use the socket (default: www-data)' },
  { name: 'home', placeholder: 'VENV', help: 'the virtualenv (default: venv or .venv in the directory, if there is one)' },
  { name: 'server-name', placeholder: 'NAMES', help: "nginx's server_name, names separated by spaces (default: _)" },
  { name: 'listen', placeholder: 'PORT|ADDR:PORT', help: "nginx's listen (default: 80)" },
  { name: 'limit-post', placeholder: 'SIZE', help: 'largest request body, e.g. 10m (default: 10m; 0 for no limit)' },
  { name: 'static', placeholder: 'URL=DIR', help: 'a static folder nginx serves (repeatable; default: detected)' },
  { name: 'watchdog', placeholder: 'SECONDS', help: "systemd's WatchdogSec (default: 0, no watchdog)" },
  { name: 'socket-activation', placeholder: 'yes|no', help: 'write a socket unit; systemd holds the socket (default: no)' },
  { name: 'nuwsgi', placeholder: 'PATH', help: 'the nuwsgi script for ExecStart (default: this one)' },
  { name: 'out', placeholder: 'DIR', help: 'where the files are written (default: the project directory)' },
];

export const INIT_USAGE = `Usage: nuwsgi init [DIR] [--flag VALUE ...] [--force] [--dry-run]

Writes NAME.ini, NAME.service, the nginx site NAME.nginx, a .envs template and, with
--socket-activation yes, NAME.socket for the WSGI app in DIR (default: the current directory),
then prints the commands that install and enable them. On a terminal it asks for every answer
not given by a flag; otherwise it takes the defaults.

${[...INIT_FLAGS.map((flag) => [`--${flag.name} ${flag.placeholder}`, flag.help]),
    ['--force', 'overwrite files that exist'], ['--dry-run', 'print the files instead of writing them']]
    .map(([usage, help]) => `  ${usage!.padEnd(32)}${help}`).join('\n')}
`;

export class InitUsageError extends Error {}

/** The command line of `nuwsgi init`: the directory, the flags given (`--name x` or `--name=x`), and the switches. */
export function parseInitArgs(args: string[]): { dir: string; given: Map<string, string[]>; force: boolean; dryRun: boolean; help: boolean } {
  const given = new Map<string, string[]>();
  let dir: string | undefined;
  let force = false;
  let dryRun = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--force') force = true;
    else if (arg === '--dry-run') dryRun = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      if (!INIT_FLAGS.some((flag) => flag.name === name)) throw new InitUsageError(`nuwsgi init: unknown option ${arg} (see nuwsgi init --help)`);
      // `--name --force` is a forgotten value, not a name
      const value = eq !== -1 ? arg.slice(eq + 1) : args[i + 1]?.startsWith('--') ? undefined : args[++i];
      if (value === undefined) throw new InitUsageError(`nuwsgi init: --${name} needs a value (${INIT_FLAGS.find((f) => f.name === name)!.placeholder})`);
      given.set(name, [...(given.get(name) ?? []), value]);
    } else if (dir === undefined) dir = arg;
    else throw new InitUsageError(`nuwsgi init: one directory only (got ${dir} and ${arg})`);
  }
  return { dir: path.resolve(dir ?? '.'), given, force, dryRun, help };
}

/** Asks a question on the terminal; null when answers are not asked for (stdin is no terminal). */
export type Ask = ((question: string, fallback: string) => Promise<string>) | null;

/** A terminal's questions, or null when stdin is not a terminal. The caller closes it. */
export function terminalQuestions(): { ask: Ask; close(): void } {
  if (!process.stdin.isTTY) return { ask: null, close: () => {} };
  const terminal = readline.createInterface({ input: process.stdin, output: process.stdout });
  return {
    ask: async (question, fallback) => (await terminal.question(`${question} [${fallback}]: `)).trim() || fallback,
    close: () => terminal.close(),
  };
}

/**
 * Every answer: the flag's value, else the terminal's (when `ask` is not null), else the default.
 * Throws InitUsageError for a value of the wrong form.
 */
export async function collectAnswers(parsed: ReturnType<typeof parseInitArgs>, app: DetectedApp | Error, ask: Ask): Promise<Answers> {
  const { dir, given } = parsed;
  const answer = async (name: string, question: string, fallback: string): Promise<string> => {
    const value = given.get(name)?.at(-1);
    if (value !== undefined) return value;
    return ask === null ? fallback : ask(question, fallback);
  };
  const name = safeName(await answer('name', 'Name of the service', safeName(path.basename(dir), 'DIR')), 'name');
  const detected = app instanceof Error ? undefined : app;
  const module = await answer('module', 'WSGI app (MODULE:CALLABLE)', detected?.module ?? '');
  if (module === '') throw new InitUsageError(`nuwsgi init: ${(app as Error).message}`);
  const socket = absolute(await answer('socket', 'Unix socket', `/run/${name}/${name}.sock`), 'socket');
  const processes = wholeNumber(await answer('processes', 'Worker processes', String(os.availableParallelism())), 'processes', 1);
  const user = await answer('user', 'Run as user', ownerOf(dir));
  const group = await answer('group', "Group (nginx's, for the socket)", 'www-data');
  const homeAnswer = await answer('home', 'Virtualenv (none for the system Python)', findVenv(dir) ?? 'none');
  const serverName = await answer('server-name', 'Server names (separated by spaces)', '_');
  if (serverName.includes(',')) {
    throw new InitUsageError(`nuwsgi init: --server-name ${serverName}: nginx separates names with spaces, not commas (it would take "${serverName.split(',')[0]}," as a name)`);
  }
  const listen = await answer('listen', 'nginx listens on', '80');
  if (!/^(\d+|[\w.-]+:\d+|\[[\da-fA-F:]+\]:\d+)$/.test(listen)) {
    throw new InitUsageError(`nuwsgi init: --listen ${listen}: expected a port or ADDRESS:PORT, e.g. 80 or 127.0.0.1:8080`);
  }
  const limitPost = size(await answer('limit-post', 'Largest request body', '10m'));
  const watchdog = wholeNumber(await answer('watchdog', 'systemd watchdog, in seconds (0 for none)', '0'), 'watchdog', 0);
  const activation = await answer('socket-activation', 'Socket activation (yes/no)', 'no');
  if (!/^(yes|no)$/.test(activation)) throw new InitUsageError(`nuwsgi init: --socket-activation ${activation}: expected yes or no`);
  const statics = given.has('static') ? given.get('static')!.map((spec) => staticFolder(spec, dir)) : detected?.statics ?? [];
  const script = given.get('nuwsgi')?.at(-1) ?? process.argv[1]!;
  return {
    dir,
    out: path.resolve(given.get('out')?.at(-1) ?? dir),
    name,
    module,
    socket,
    processes,
    user,
    group,
    home: homeAnswer === 'none' ? undefined : path.resolve(dir, homeAnswer),
    serverName,
    listen,
    limitPost,
    statics,
    watchdog,
    socketActivation: activation === 'yes',
    execStart: [process.execPath, fs.existsSync(script) ? fs.realpathSync(script) : path.resolve(script)],
    force: parsed.force,
    dryRun: parsed.dryRun,
  };
}

/** A name for files and units: letters, digits, `-`, `_`, `.`. */
function safeName(value: string, flag: string): string {
  const name = value.replace(/[^\w.-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  if (name === '') throw new InitUsageError(`nuwsgi init: --${flag} ${value}: expected letters, digits, - or _`);
  return name;
}

function absolute(value: string, flag: string): string {
  if (!path.isAbsolute(value)) throw new InitUsageError(`nuwsgi init: --${flag} ${value}: expected an absolute path, e.g. /run/app/app.sock`);
  return value;
}

function wholeNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new InitUsageError(`nuwsgi init: --${flag} ${value}: expected a whole number of at least ${min}`);
  return n;
}

/** `10m`, `512k`, `1g` or bytes, as nginx writes sizes. */
function size(value: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(value);
  if (m === null) throw new InitUsageError(`nuwsgi init: --limit-post ${value}: expected a size such as 10m, 512k or a number of bytes`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
}

function staticFolder(spec: string, dir: string): StaticFolder {
  const eq = spec.indexOf('=');
  if (eq <= 0 || !spec.startsWith('/')) throw new InitUsageError(`nuwsgi init: --static ${spec}: expected URL=DIR, e.g. /static=static`);
  return { url: spec.slice(0, eq).replace(/\/+$/, '') || '/', dir: path.resolve(dir, spec.slice(eq + 1)) };
}

/** The user that owns `dir`, by name when /etc/passwd has it. */
function ownerOf(dir: string): string {
  const uid = fs.statSync(dir).uid;
  const entry = read('/etc/passwd').split('\n').map((line) => line.split(':')).find((fields) => Number(fields[2]) === uid);
  return entry?.[0] ?? String(uid);
}

/** A virtualenv in the project: venv, .venv or env with a bin/python3. */
function findVenv(dir: string): string | undefined {
  return ['venv', '.venv', 'env'].map((name) => path.join(dir, name)).find((venv) => fs.existsSync(path.join(venv, 'bin', 'python3')));
}
