// What the master is asked to do from outside, and by which signal or master-fifo letter. The
// table is in docs/compat.md ("Signals"); the arbiter implements the verbs. Reopening the log file
// (`l`, `L`, and SIGHUP before its reload) needs no verb: the log is the master's alone.
import { log, reopenLog } from '../observe/log.ts';

/** graceful: new workers (configuration re-read), old ones finish their requests; workers: the same
 * without re-reading; brutal / brutal-workers: the old workers are killed once the new ones are ready. */
export type ReloadKind = 'graceful' | 'workers' | 'brutal' | 'brutal-workers';

export interface MasterVerbs {
  reload(kind: ReloadKind, why: string): void;
  chainReload(why: string): void;
  shutdown(how: 'graceful' | 'fast', why: string): void;
  logStats(): void;
  logWhatWorkersDo(): void;
  togglePause(): void;
  addWorker(): void;
  removeWorker(): void;
  writePidfiles(): void;
  /** A command nuwsgi does not carry out. */
  refuse(what: string): void;
}

export function installSignalHandlers(verbs: MasterVerbs): void {
  process.on('SIGHUP', () => {
    reopenLogFile('SIGHUP');
    verbs.reload('graceful', 'SIGHUP received');
  });
  process.on('SIGTERM', () => verbs.shutdown('graceful', 'SIGTERM received'));
  process.on('SIGINT', () => verbs.shutdown('fast', 'SIGINT received'));
  process.on('SIGQUIT', () => verbs.shutdown('fast', 'SIGQUIT received'));
  // Without a listener, SIGUSR1 would open node's inspector on :9229; uWSGI users send it for stats.
  process.on('SIGUSR1', () => verbs.logStats());
  process.on('SIGUSR2', () => verbs.logWhatWorkersDo());
  process.on('SIGTSTP', () => verbs.togglePause());
  process.on('SIGTTIN', () => verbs.addWorker());
  process.on('SIGTTOU', () => verbs.removeWorker());
}

/** One letter read from a master FIFO (uWSGI's MasterFIFO.rst); 0-9 are handled by MasterFifos. */
export function runFifoCommand(letter: string, verbs: MasterVerbs): void {
  switch (letter) {
    case 'r': return verbs.reload('graceful', 'master FIFO: r');
    case 'R': return verbs.reload('brutal', 'master FIFO: R');
    case 'w': return verbs.reload('workers', 'master FIFO: w');
    case 'W': return verbs.reload('brutal-workers', 'master FIFO: W');
    case 'c': return verbs.chainReload('master FIFO: c');
    case 'q': return verbs.shutdown('graceful', 'master FIFO: q');
    case 'Q': return verbs.shutdown('fast', 'master FIFO: Q');
    case 's': return verbs.logStats();
    case 'p': return verbs.togglePause();
    case '+': return verbs.addWorker();
    case '-': return verbs.removeWorker();
    case 'P': return verbs.writePidfiles();
    case 'l': return reopenLogFile('master FIFO: l');
    case 'L': return reopenLogFile('master FIFO: L');
    default: return verbs.refuse(`master FIFO command ${JSON.stringify(letter)}`);
  }
}

/** Opens the log file again, so that logrotate's renamed file is let go; says so only when it fails. */
function reopenLogFile(why: string): void {
  const problem = reopenLog();
  if (problem !== undefined) log(`${why}: ${problem}`);
}
