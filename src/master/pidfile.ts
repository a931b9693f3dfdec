// Pidfiles: the master writes its pid for init scripts and for `nuwsgi --reload/--stop PIDFILE`,
// and removes the file on exit (vacuum) only while it still holds its own pid, so a newer
// instance's pidfile is never taken away.
import fs from 'node:fs';
import { log } from '../observe/log.ts';

export function writePidfile(file: string): void {
  fs.writeFileSync(file, `${process.pid}\n`);
}

export function removePidfileIfOurs(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    // already gone, or unreadable: not ours to clean up
  }
}

/**
 * `--reload PIDFILE` / `--stop PIDFILE`: sends `signal` to the pid in the file. Returns an error
 * message, or undefined when the signal was delivered.
 */
export function signalPidfile(file: string, signal: NodeJS.Signals): string | undefined {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot read the pidfile ${file}: ${(err as Error).message}`;
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return `the pidfile ${file} holds no valid pid (${JSON.stringify(text.trim())})`;
  try {
    process.kill(pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return `no process ${pid} (from ${file}): is the server running?`;
    return `cannot signal process ${pid} (from ${file}): ${(err as Error).message}`;
  }
  return undefined;
}

/** `P` on the master FIFO: the pidfiles given are written again; a failure is logged, not fatal. */
export function rewritePidfiles(files: ReadonlyArray<string | undefined>): void {
  for (const file of files) {
    if (file === undefined) continue;
    try {
      writePidfile(file);
    } catch (err) {
      log(`cannot write the pidfile ${file}: ${(err as Error).message}`);
    }
  }
}
