// Runs a command in a real pseudo-terminal (pty-run.py, with Debian's /usr/bin/python3): types keys,
// resizes the terminal, and reads what was drawn.
//
//   const term = startInPty(24, 100, [process.execPath, cliPath, 'top', addr]);
//   await term.waitFor('the first frame', () => /WID/.test(term.lastFrame().join('\n')));
//   term.keys('q');
//   const end = await term.ended;   // { exit: 0, termiosRestored: true }
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './server.ts';
import { systemPython } from './peers.ts';

const helper = path.join(repoRoot, 'test', 'helpers', 'pty-run.py');

export interface PtyEnd {
  /** The exit code, or null when a signal ended the command. */
  exit: number | null;
  signal: number | null;
  /** Whether the command left the terminal's modes (raw mode, echo...) as it found them. */
  termiosRestored: boolean;
}

export interface Pty {
  proc: ChildProcess;
  /** Everything written to the terminal so far, escape sequences included. */
  output(): string;
  /** The lines of the last frame drawn from the top left (`ESC [ H`), without the clearing sequences. */
  lastFrame(): string[];
  keys(text: string): void;
  resize(rows: number, columns: number): void;
  /** Resolves once `probe` holds, checked at every output (rejects after timeoutMs, with the output). */
  waitFor(what: string, probe: () => boolean, timeoutMs?: number): Promise<void>;
  ended: Promise<PtyEnd>;
  /** Closes the command's input: it gets SIGTERM. */
  close(): Promise<PtyEnd>;
}

export function startInPty(rows: number, columns: number, command: string[], env: NodeJS.ProcessEnv = process.env): Pty {
  const proc = spawn(systemPython, [helper, String(rows), String(columns), '--', ...command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  let text = '';
  let report = '';
  const waiters = new Set<() => void>();
  const wake = () => { for (const w of waiters) w(); };
  proc.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); wake(); });
  proc.stderr!.on('data', (chunk: Buffer) => { report += chunk.toString('utf8'); });
  const ended = new Promise<PtyEnd>((resolve) => {
    proc.on('exit', () => {
      const exit = /^exit (\d+)$/m.exec(report);
      const signal = /^signal (\d+)$/m.exec(report);
      resolve({
        exit: exit === null ? null : Number(exit[1]),
        signal: signal === null ? null : Number(signal[1]),
        termiosRestored: /^termios restored$/m.test(report),
      });
      wake();
    });
  });
  // Keys typed after the command ended go nowhere.
  proc.stdin!.on('error', () => {});
  let gone = false;
  void ended.then(() => { gone = true; });

  const lastFrame = (): string[] => {
    const start = text.lastIndexOf('\x1b[H');
    if (start === -1) return [];
    const frame = text.slice(start + 3);
    const end = frame.indexOf('\x1b[J');
    return (end === -1 ? frame : frame.slice(0, end)).replaceAll('\x1b[K', '').split(/\r*\n/).filter((line, i, all) => i < all.length - 1 || line !== '');
  };

  const waitFor = (what: string, probe: () => boolean, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (probe()) { done(); resolve(); return; }
        if (gone) { done(); reject(new Error(`the command ended before ${what}; report: ${report}; output:\n${JSON.stringify(text.slice(-3000))}`)); }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last frame:\n${lastFrame().join('\n')}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); waiters.delete(check); };
      waiters.add(check);
      check();
    });

  return {
    proc,
    output: () => text,
    lastFrame,
    keys: (keys) => {
      proc.stdin!.write(`keys ${JSON.stringify(keys).slice(1, -1)}\n`);
    },
    resize: (r, c) => { proc.stdin!.write(`resize ${r} ${c}\n`); },
    waitFor,
    ended,
    close: () => {
      if (!gone) proc.stdin!.end();
      return ended;
    },
  };
}
