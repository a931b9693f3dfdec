// Runs Debian's uWSGI 2.0 (packages uwsgi and uwsgi-plugin-python3) as the oracle that nuwsgi is
// compared with: the same fixture app on a uwsgi socket, behind the same nginx. The python3 plugin
// embeds /usr/bin/python3, and the fixture apps use the standard library only.
//
//   const uwsgiPath = needUwsgi(t);              // skips locally / fails under CI=true if missing
//   if (uwsgiPath === undefined) return;
//   const oracle = await startUwsgiOracle(uwsgiPath, { socket: path.join(dir, 'uwsgi.sock'), wsgiFile });
//   ...
//   await oracle.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { TestContext } from 'node:test';
import { canConnect } from './nginx.ts';
import { missingPeer, needExecutable } from './peers.ts';
import { isAlive, waitFor, within, workerPids } from './wire.ts';

/** Where uwsgi-plugin-python3 installs the plugin that `--plugin python3` loads. */
export const python3Plugin = '/usr/lib/uwsgi/plugins/python3_plugin.so';

/** The uwsgi binary, or undefined after skipping the test (failing it under CI=true). */
export function needUwsgi(t: TestContext): string | undefined {
  const uwsgi = needExecutable(t, 'uwsgi', 'uwsgi');
  if (uwsgi === undefined) return undefined;
  if (fs.existsSync(python3Plugin)) return uwsgi;
  missingPeer(t, `uWSGI's Python 3 plugin is not installed (no ${python3Plugin}): apt-get install uwsgi-plugin-python3`);
  return undefined;
}

export interface UwsgiOracleOptions {
  /** `--socket`: a unix socket path, or HOST:PORT. */
  socket: string;
  /** The WSGI file (one of test/fixtureapps/). */
  wsgiFile: string;
  /** More options, e.g. ['--buffer-size', '32768']. */
  args?: string[];
  /** Default 15 s. */
  readyTimeoutMs?: number;
}

export interface RunningUwsgi {
  proc: ChildProcess;
  /** The master's pid. */
  pid: number;
  socket: string;
  /** Everything uWSGI logged so far. */
  output(): string;
  /** Resolves when `pattern` appears in the log (rejects after timeoutMs): the log can lag behind the response. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM (with --die-on-term: shut down), then SIGKILL to the master and its workers after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The command line the oracle runs: a master and one worker, failing at startup if the app does not load. */
export function uwsgiOracleArgs(options: UwsgiOracleOptions): string[] {
  return [
    '--plugin', 'python3', '--socket', options.socket, '--wsgi-file', options.wsgiFile,
    '--master', '--processes', '1', '--die-on-term', '--need-app', ...(options.args ?? []),
  ];
}

/**
 * nginx `location` directives, to add after `include uwsgi_params;`, without which uWSGI cannot run
 * the fixture apps behind nginx: they are wrapped in wsgiref.validate, and uWSGI hands them two
 * environs that the validator refuses.
 *
 * - nginx sends no SCRIPT_NAME and uWSGI 2.0 then leaves the key out; the validator's assertion
 *   message reads environ['SCRIPT_NAME'] unconditionally, so every request dies with
 *   `KeyError: 'SCRIPT_NAME'`. (`--manage-script-name` adds it, but not when PATH_INFO is "/".)
 *   An empty uwsgi_param without `if_not_empty` is sent: SCRIPT_NAME = ''.
 * - nginx passes every request header as HTTP_*, Content-Type and Content-Length included, and
 *   uWSGI keeps HTTP_CONTENT_TYPE / HTTP_CONTENT_LENGTH, which the validator refuses ("use
 *   CONTENT_TYPE instead"): every request with a body fails. A uwsgi_param named HTTP_X makes nginx
 *   skip the header X, and an empty `if_not_empty` param is not sent at all.
 */
export const VALIDATOR_FRIENDLY_PARAMS = [
  'uwsgi_param SCRIPT_NAME "";',
  'uwsgi_param HTTP_CONTENT_TYPE "" if_not_empty;',
  'uwsgi_param HTTP_CONTENT_LENGTH "" if_not_empty;',
].join('\n');

function socketTarget(socket: string): { path: string } | { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(socket);
  if (m === null) return { path: socket };
  return { host: m[1] === '' || m[1] === '0.0.0.0' ? '127.0.0.1' : m[1]!, port: Number(m[2]) };
}

/** Starts uWSGI and resolves once its worker is up and its socket accepts connections. */
export async function startUwsgiOracle(uwsgi: string, options: UwsgiOracleOptions): Promise<RunningUwsgi> {
  const proc = spawn(uwsgi, uwsgiOracleArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  proc.stderr!.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;

  const stop = async (timeoutMs = 5_000) => {
    const workers = workerPids(text).map((w) => w.pid);
    if (!gone()) {
      proc.kill('SIGTERM');
      if ((await within(exited, timeoutMs)) === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    }
    for (const p of workers.filter(isAlive)) {
      try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
    }
  };

  const target = socketTarget(options.socket);
  try {
    await waitFor(async () => {
      if (gone()) throw new Error('uWSGI exited');
      return /spawned uWSGI worker 1 \(pid: \d+/.test(text) && await canConnect(target);
    }, options.readyTimeoutMs ?? 15_000, `uWSGI to accept connections on ${options.socket}`, 50);
  } catch (err) {
    await stop(1_000);
    throw new Error(`uWSGI did not start (${uwsgi} ${uwsgiOracleArgs(options).join(' ')}): ${(err as Error).message}\noutput:\n${text}`);
  }
  const waitForOutput = (pattern: RegExp, timeoutMs = 5_000) =>
    waitFor(() => pattern.test(text), timeoutMs, `${pattern} in uWSGI's log`).catch((err: Error) => {
      throw new Error(`${err.message}; the log:\n${text}`);
    });
  return { proc, pid: proc.pid!, socket: options.socket, output: () => text, waitForOutput, stop };
}
