// Starts the real nuwsgi command line as a child process for integration tests, waits until it
// says it is ready, and stops it by pid. Every test uses its own ephemeral port (`--http 127.0.0.1:0`).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliPath = path.join(repoRoot, 'bin', 'nuwsgi.js');
export const fixtureApps = path.join(repoRoot, 'test', 'fixtureapps');

/**
 * `--mount` arguments serving the PEP 3333 fixture apps each under its name (/echo, /upload,
 * /streaming, /responses, /write, /files, /close), for a server with --manage-script-name.
 */
export function fixtureMounts(): string[] {
  const apps = {
    echo: 'echo.py', upload: 'upload.py', streaming: 'streaming.py', responses: 'responses.py',
    write: 'write_callable.py', files: 'filewrapper.py', close: 'close_tracking.py',
  };
  return Object.entries(apps).flatMap(([name, file]) => ['--mount', `/${name}=${path.join(fixtureApps, file)}`]);
}

/** The line the master logs once every worker has loaded the app. */
const READY = /\*\*\* nuwsgi is ready/;
/** The line the master logs for every HTTP listener, with the port actually bound. */
const LISTENING = /HTTP listening on (\S+):(\d+)/;

export interface RunningServer {
  proc: ChildProcess;
  pid: number;
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when `pattern` appears in the output (rejects after timeoutMs). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code or signal once it exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process exits by itself. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 20 s: Django imports take a while on a loaded 2-core machine. */
  readyTimeoutMs?: number;
  /** In a process group of its own, as under a service manager (signal it with process.kill(-pid)). */
  detached?: boolean;
}

/** Runs `nuwsgi ...args` (add `--http 127.0.0.1:0` yourself) and waits for the ready line. */
export async function startServer(args: string[], options: StartOptions = {}): Promise<RunningServer> {
  const proc = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const w of waiters) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => { hasExited = true; });

  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = text.match(pattern);
        if (m) { done(); resolve(m); return; }
        if (hasExited || proc.exitCode !== null || proc.signalCode !== null) {
          done();
          reject(new Error(`nuwsgi exited before printing ${pattern}; output:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${text}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); waiters.delete(check); };
      waiters.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };

  try {
    await waitForOutput(READY, options.readyTimeoutMs ?? 20_000);
  } catch (err) {
    await stop('SIGKILL');
    throw err;
  }
  const m = text.match(LISTENING);
  const port = m ? Number(m[2]) : 0;
  return {
    proc, pid: proc.pid!, port, url: `http://127.0.0.1:${port}`,
    output: () => text, waitForOutput, stop, exited,
  };
}

/** Runs nuwsgi expecting it to exit by itself (a startup failure); resolves with its exit and output. */
export function runToExit(args: string[], options: StartOptions & { timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    proc.stdout.on('data', (c: Buffer) => { text += c.toString('utf8'); });
    proc.stderr.on('data', (c: Buffer) => { text += c.toString('utf8'); });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`nuwsgi did not exit within ${options.timeoutMs ?? 20_000} ms; output:\n${text}`));
    }, options.timeoutMs ?? 20_000);
    proc.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, output: text }); });
  });
}

/** What a command that does not serve (check, --show-config...) did: its exit status and what it wrote where. */
export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `nuwsgi ...args` in `cwd` with exactly `env`, to its exit (killed after 20 s). */
export function runCommand(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { cwd, env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr });
    });
  });
}
