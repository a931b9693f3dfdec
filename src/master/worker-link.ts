// How the master reaches a worker process: its pid, its channel, its end. A worker is either
// spawned as a fresh Python (lazy-apps: the channel is an inherited socketpair on fd 3) or forked
// by the zygote (zygote.ts: the channel is a connection the child opens to the master). Worker
// (worker.ts) sees only this interface, so supervision is the same for both.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Scoreboard } from './scoreboard.ts';
import { afterOutput, relayWorkerOutput } from './worker-output.ts';
import type { WorkerConfig, WorkerProcess } from './worker.ts';

/**
 * What a link tells its worker, each once, in this order (channel may come before or after pid;
 * neither comes for a process that never started).
 */
export interface LinkHooks {
  /** The process exists: its pid. */
  pid(pid: number): void;
  /** The channel is connected. */
  channel(socket: Socket): void;
  /**
   * The process is gone and its output logged: its exit status (both null when it cannot be
   * known); or there never was one, and `notStarted` says why.
   */
  exit(code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void;
}

/** How a process ended, as LinkHooks.exit tells it. */
export type ExitHook = LinkHooks['exit'];

export interface WorkerLink {
  /** 0 until the process exists. */
  readonly pid: number;
  start(hooks: LinkHooks): void;
  kill(signal: NodeJS.Signals | number): void;
}

/** Makes the link of a worker; it adds to `config` how the worker finds its scoreboard. */
export type LinkMaker = (slot: number, scoreboard: Scoreboard, config: WorkerConfig) => WorkerLink;

/**
 * A Python process of the master's own (a lazy worker, or a zygote): its channel on fd 3 and `fds`
 * after it, its output logged as `slot`'s. `exit` is called once, after the output has been read;
 * when the interpreter could not be run (`child.pid` undefined), with the reason instead.
 */
export function spawnPython(how: WorkerProcess, fds: readonly number[], slot: number, exit: ExitHook): { child: ChildProcess; channel: Socket } {
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', 'pipe', ...fds];
  const child = spawn(how.python, how.args, { stdio, env: how.env });
  const pid = child.pid ?? 0;
  relayWorkerOutput(child.stdout, slot, pid, 'stdout');
  relayWorkerOutput(child.stderr, slot, pid, 'stderr');
  let exited = false;
  const exitOnce = (code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void => {
    if (!exited) afterOutput([child.stdout, child.stderr], () => exit(code, signal, notStarted));
    exited = true;
  };
  // spawn failed (the interpreter vanished or lost its x bit after we checked): no 'exit' will come.
  // Any other 'error' (a kill refused) leaves a live process, whose 'exit' comes in its time.
  child.on('error', (err) => { if (child.pid === undefined) exitOnce(null, null, err.message); });
  child.on('exit', (code, signal) => exitOnce(code, signal));
  return { child, channel: child.stdio[3] as Socket };
}

/** A fresh Python started by the master (lazy-apps), with the channel and the sockets inherited. */
export function spawnedWorker(how: WorkerProcess): LinkMaker {
  return (slot, scoreboard, config) => {
    const fds = [...how.sockets, scoreboard.fd];
    // fd 3 is the channel, the sockets follow, the scoreboard is last
    config.scoreboard_fd = 3 + fds.length;
    let pid = 0;
    let kill: (signal: NodeJS.Signals | number) => void = () => {};
    return {
      get pid() { return pid; },
      kill: (signal) => kill(signal),
      start(hooks) {
        const { child, channel } = spawnPython(how, fds, slot, hooks.exit);
        scoreboard.unlinkName();
        pid = child.pid ?? 0;
        kill = (signal) => { child.kill(signal); };
        if (pid !== 0) hooks.pid(pid);
        hooks.channel(channel);
      },
    };
  };
}
