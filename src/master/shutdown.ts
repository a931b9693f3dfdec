// Stopping the server. graceful (SIGTERM, q): stop accepting, let queued and in-flight requests
// finish within worker-reload-mercy, stop the workers, exit. fast (SIGINT, SIGQUIT, Q): drop the
// connections and end the workers now. A second request to stop kills the workers at once.
import { log } from '../observe/log.ts';
import type { Router } from '../router/router.ts';
import type { ListenerSet } from './listener-set.ts';
import type { Worker } from './worker.ts';

/** How long stopped workers get to exit before SIGKILL, once their requests are done. */
const STOP_GRACE_MS = 5000;
/** How long workers get to exit on a fast shutdown (they exit as soon as they see the channel close). */
const FAST_STOP_GRACE_MS = 3000;

/** What a shutdown needs of the master. */
export interface StoppingMaster {
  readonly sockets: ListenerSet;
  readonly router: Router;
  /** Every worker, whatever its role. */
  allWorkers(): Worker[];
  /** The workers still starting (successors, a reload's next set): they have nothing to finish. */
  startingWorkers(): Worker[];
  /** Requests on workers, and waiting for one. */
  pending(): number;
  /** Everything is stopped: release the listeners and files, and exit with `code`. */
  finish(code: number): void;
}

export class Shutdown {
  /** A shutdown began. */
  started = false;
  private readonly master: StoppingMaster;
  /** The last moment of worker-reload-mercy. */
  private mercyDeadline = 0;
  private finishing = false;
  private exitCode = 0;

  constructor(master: StoppingMaster) {
    this.master = master;
  }

  /** Begins a shutdown (`why` is logged unless empty); a second call kills the workers now. */
  begin(how: 'graceful' | 'fast', why: string, mercy: number, exitCode: number): void {
    const master = this.master;
    if (this.started) {
      if (why !== '') {
        log(`${why} again: killing the workers now`);
        this.killAll();
      }
      return;
    }
    this.started = true;
    this.exitCode = exitCode;
    for (const w of master.startingWorkers()) w.kill();
    this.mercyDeadline = Date.now() + mercy * 1000;
    void master.sockets.close();
    if (how === 'fast') {
      if (why !== '') log(`${why}: fast shutdown (${master.pending()} requests dropped)`);
      master.sockets.dropConnections();
      // Idle workers exit on the channel's EOF; busy ones would only see it after their request.
      for (const w of master.allWorkers()) {
        if (w.inflight.size > 0) w.kill();
        else w.closeChannel();
      }
      setTimeout(() => this.killAll(), FAST_STOP_GRACE_MS).unref();
      void this.workerExited();
      return;
    }
    if (why !== '') log(`${why}: graceful shutdown (${master.pending()} requests to finish, mercy ${mercy} s)`);
    void this.stopWhenIdle(mercy);
  }

  /** A worker exited (or none is left to): once the last one has, the server finishes. */
  async workerExited(): Promise<void> {
    const master = this.master;
    if (!this.started || this.finishing || master.allWorkers().length > 0) return;
    this.finishing = true;
    // Responses handed to the listeners may still be on their way to slow clients: let them
    // drain (their connections close after them), within what is left of the mercy.
    const left = Math.max(0, this.mercyDeadline - Date.now());
    await Promise.race([master.sockets.close(), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    master.finish(this.exitCode);
  }

  private async stopWhenIdle(mercy: number): Promise<void> {
    const master = this.master;
    const mercyTimer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), mercy * 1000).unref());
    const outcome = await Promise.race([master.router.whenIdle().then(() => 'idle' as const), mercyTimer]);
    if (outcome === 'timeout') {
      log(`worker-reload-mercy (${mercy} s) is over with ${master.pending()} requests still running: killing the workers`);
      this.killAll();
    } else {
      for (const w of master.allWorkers()) w.stop();
      // Retiring workers may still be finishing requests: they keep the rest of the mercy.
      const left = Math.max(STOP_GRACE_MS, this.mercyDeadline - Date.now());
      setTimeout(() => this.killAll(), left).unref();
    }
    void this.workerExited();
  }

  private killAll(): void {
    for (const w of this.master.allWorkers()) w.kill();
    this.master.sockets.dropConnections();
  }
}
