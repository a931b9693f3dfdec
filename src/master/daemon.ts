// --daemonize FILE: the command starts itself again detached from the terminal (a new session,
// stdin from /dev/null, stdout and stderr appended to FILE) and exits; the copy is the master.
// Node cannot fork(), so this is uWSGI's daemonize done with spawn().
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Set in the detached copy, so that it does not daemonize again. */
const DAEMON_MARK = 'NUWSGI_DAEMONIZED';

export function isDaemon(): boolean {
  return process.env[DAEMON_MARK] === '1';
}

/** Starts the detached master; returns its pid. Throws if the log file cannot be opened. */
export function daemonize(logFile: string): number {
  const fd = fs.openSync(logFile, 'a', 0o640);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, [DAEMON_MARK]: '1' },
  });
  child.unref();
  fs.closeSync(fd);
  return child.pid ?? 0;
}
