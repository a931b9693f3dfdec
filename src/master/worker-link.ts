// How the master reaches a worker process: its pid, its channel, its end. A worker is either
// spawned as a fresh Python (lazy-apps: the channel is an inherited socketpair on fd 3) or forked
// by the zygote (zygote.ts: the channel is a connection the child opens to the master). Worker
// (worker.ts) sees only this interface, so supervision is the same for both.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Scoreboard } from './scoreboard.ts';
import { afterOutput, relayWorkerOutput } from './worker-output.ts';
import type { WorkerConfig, WorkerProcess } from './worker.ts';

/** What a link tells its worker, each once, in this order (channel may come before or after pid). */
export interface LinkHooks {
  /** The process exists: its pid. */
  pid(pid: number): void;
  /** The channel is connected. */
  channel(socket: Socket): void;
  /** The process is gone and its output logged: its exit status (both null when it cannot be known). */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

export interface WorkerLink {
  /** 0 until the process exists. */
  readonly pid: number;
  start(hooks: LinkHooks): void;
  kill(signal: NodeJS.Signals | number): void;
}

/** Makes the link of a worker; it adds to `config` how the worker finds its scoreboard. */
export type LinkMaker = (slot: number, scoreboard: Scoreboard, config: WorkerConfig) => WorkerLink;

/** A fresh Python started by the master (lazy-apps), with the channel and the sockets inherited. */
export function spawnedWorker(how: WorkerProcess): LinkMaker {
  return (slot, scoreboard, config) => {
    const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', 'pipe', ...how.sockets, scoreboard.fd];
    config.scoreboard_fd = stdio.length - 1;
    let pid = 0;
    let kill: (signal: NodeJS.Signals | number) => void = () => {};
    return {
      get pid() { return pid; },
      kill: (signal) => kill(signal),
      start(hooks) {
        const child = spawn(how.python, how.args, { stdio, env: how.env });
        scoreboard.unlinkName();
        pid = child.pid ?? 0;
        kill = (signal) => { child.kill(signal); };
        let exited = false;
        const exit = (code: number | null, signal: NodeJS.Signals | null): void => {
          if (exited) return;
          exited = true;
          hooks.exit(code, signal);
        };
        // spawn failed (the interpreter vanished after we checked): 'exit' may never come
        child.on('error', () => exit(127, null));
        relayWorkerOutput(child.stdout, slot, pid, 'stdout');
        relayWorkerOutput(child.stderr, slot, pid, 'stderr');
        child.on('exit', (code, signal) => afterOutput([child.stdout, child.stderr], () => exit(code, signal)));
        hooks.pid(pid);
        hooks.channel(child.stdio[3] as Socket);
      },
    };
  };
}
