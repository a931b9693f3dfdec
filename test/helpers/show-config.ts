// `--show-config` on both sides, for the configuration oracle tests: what Debian's uWSGI 2.0 and
// nuwsgi make of the same files, reduced to a comparable form.
//
//   const uwsgi = needExecutable(t, 'uwsgi', 'uwsgi');      // skips, or fails under CI=true
//   if (uwsgi === undefined) return;
//   const expected = await uwsgiShowConfig(uwsgi, ['--ini', 'app.ini'], dir, env);
//   const actual = await nuwsgiShowConfig(['--ini', 'app.ini'], dir, env);
//   assert.deepEqual(resolvedView(actual), resolvedView(expected));
import { execFile } from 'node:child_process';
import { LOADING_OPTIONS } from '../../src/config/loading-options.ts';
import { findOption } from '../../src/config/options.ts';
import { cliPath } from './server.ts';

/** One `key = value` line of a shown configuration. */
export interface ShownOption {
  key: string;
  value: string;
}

/** The options shown, or, when the configuration was refused, what the program said. */
export type Shown = { ok: true; options: ShownOption[] } | { ok: false; output: string };

/**
 * uWSGI prints its configuration (`--show-config`) once it has read and expanded everything, and
 * only then starts; a `--chdir` into a directory that does not exist, the first thing it does when
 * starting, makes it exit with status 1 right after printing, before binding any socket.
 */
const MISSING_DIRECTORY = '/nonexistent/nuwsgi-oracle';

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null && error.killed) reject(new Error(`${file} ${args.join(' ')} did not exit:\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** What uWSGI shows for `args` (it prints the options to stderr, between two marker lines). */
export async function uwsgiShowConfig(uwsgi: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Shown> {
  const { stderr } = await run(uwsgi, ['--show-config', ...args, '--chdir', MISSING_DIRECTORY], cwd, env);
  const lines = stderr.split('\n');
  const start = lines.indexOf(';uWSGI instance configuration');
  const end = lines.indexOf(';end of configuration');
  if (start === -1 || end === -1) return { ok: false, output: stderr };
  const options = parseShown(lines.slice(start + 2, end))
    .filter(({ key, value }) => !(key === 'chdir' && value === MISSING_DIRECTORY));
  return { ok: true, options };
}

/** What `nuwsgi --show-config` shows for `args` (the options on stdout, after `[uwsgi]`). */
export async function nuwsgiShowConfig(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Shown> {
  const { stdout, stderr } = await run(process.execPath, [cliPath, '--show-config', ...args], cwd, env);
  const lines = stdout.split('\n');
  if (lines[0] !== '[uwsgi]') return { ok: false, output: stderr };
  return { ok: true, options: parseShown(lines.slice(1).filter((line) => line !== '')) };
}

function parseShown(lines: string[]): ShownOption[] {
  return lines.map((line) => {
    const separator = line.indexOf(' = ');
    if (separator === -1) throw new Error(`not a 'key = value' line: ${line}`);
    return { key: line.slice(0, separator), value: line.slice(separator + 3) };
  });
}

const LOADING = new Set(LOADING_OPTIONS);
const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

/**
 * What the options resolve to, by canonical name: a list option's values in order, a flag's last
 * value as a boolean, any other option's last value. Keys that are no nuwsgi option (uWSGI's
 * placeholders) and the options that only steer the reading (ini, for, show-config...) are left
 * out, so that uWSGI's view and nuwsgi's compare.
 */
export function resolvedView(shown: readonly ShownOption[]): Record<string, string | boolean | string[]> {
  const view: Record<string, string | boolean | string[]> = {};
  for (const { key, value } of shown) {
    const option = findOption(key);
    if (option === undefined || LOADING.has(option) || option.commandLineOnly) continue;
    if (option.kind === 'list') view[option.name] = [...((view[option.name] as string[] | undefined) ?? []), value];
    else if (option.kind === 'flag') view[option.name] = !FALSE_WORDS.has(value.toLowerCase());
    else view[option.name] = value;
  }
  return view;
}
