// The zygotes of the running generation and of a reload's next one (zygote.ts). Each generation
// has its own, started when its first worker is asked for, so that a reload forks its workers from
// the new code. A zygote that is no longer current stays until the workers it forked are gone (it
// reports their exits), then stops. A current zygote that dies is replaced at once, and its
// workers keep serving; one that dies again within a second is replaced after forkbomb-delay.
import { log } from '../observe/log.ts';
import { ForkRendezvous } from './fork-rendezvous.ts';
import type { Generation, Running } from './generation.ts';
import type { ZygoteSnapshot } from './lifecycle.ts';
import { RespawnThrottle } from './slots.ts';
import type { LinkMaker } from './worker-link.ts';
import type { WorkerConfig, WorkerProcess } from './worker.ts';
import { Zygote } from './zygote.ts';

/** What the zygotes need of the master. */
export interface ZygoteMaster {
  /** What the current workers run with. */
  running(): Running;
  /** The process and the CONFIG of a zygote for `running` (CONFIG as a worker's, with no slot). */
  launch(running: Running): { how: WorkerProcess; config: WorkerConfig };
  stopping(): boolean;
  /** forkbomb-delay, in seconds. */
  forkbombDelay(): number;
}

export class Zygotes {
  private current: Zygote | null = null;
  /** The zygote of each reload in progress. */
  private readonly next = new Map<Generation, Zygote>();
  private readonly retired = new Set<Zygote>();
  private rendezvous: ForkRendezvous | null = null;
  private readonly restarts = new RespawnThrottle();
  /** Zygotes spawned so far (not those that could not be). */
  private starts = 0;
  private readonly master: ZygoteMaster;

  constructor(master: ZygoteMaster) {
    this.master = master;
  }

  /** How a worker of the current generation, or of the reload `next`, is started: forked. */
  linkFor(next?: Generation): LinkMaker {
    if (next !== undefined) {
      let zygote = this.next.get(next);
      if (zygote === undefined || zygote.state === 'dead') this.next.set(next, zygote = this.start(next));
      return zygote.forkLink;
    }
    if (this.current === null || this.current.state === 'dead') this.current = this.start(this.master.running());
    return this.current.forkLink;
  }

  /** The current zygote, for the stats. */
  snapshot(): ZygoteSnapshot {
    const zygote = this.current?.state === 'dead' ? null : this.current;
    return { pid: zygote?.pid ?? 0, state: zygote?.state ?? 'dead', startedAt: zygote?.startedAt ?? 0, starts: this.starts };
  }

  /** The reload `next` took over: its zygote forks from now on, and the previous one retires. */
  takeOver(next: Generation): void {
    const previous = this.current;
    this.current = this.next.get(next) ?? null;
    this.next.delete(next);
    if (previous !== null) this.retire(previous);
  }

  /** The reload `next` was given up: its zygote retires. */
  giveUp(next: Generation): void {
    const zygote = this.next.get(next);
    this.next.delete(next);
    if (zygote !== undefined) this.retire(zygote);
  }

  /** The server stops: every zygote exits (the workers were stopped already). */
  stopAll(): void {
    for (const zygote of [this.current, ...this.next.values(), ...this.retired]) zygote?.stop();
    this.current = null;
    this.next.clear();
    this.retired.clear();
    this.rendezvous?.close();
    this.rendezvous = null;
  }

  private start(running: Running): Zygote {
    this.rendezvous ??= new ForkRendezvous();
    const { how, config } = this.master.launch(running);
    const zygote = new Zygote(how, config, this.rendezvous, {
      ready: (z, info) => log(`zygote (pid: ${z.pid}) ready: ${info.app} (Python ${info.python}); the workers are forked from it`),
      forkGone: (z) => { if (this.retired.has(z) && !z.hasForks) z.stop(); },
      exit: (z, code, signal, notStarted) => this.onExit(z, code, signal, notStarted),
    });
    // one that could not be started has no pid: its exit, at once, says why
    if (zygote.pid !== 0) {
      this.starts++;
      log(`spawned the zygote (pid: ${zygote.pid}): it imports the apps once, then forks the workers`);
    }
    return zygote;
  }

  private retire(zygote: Zygote): void {
    // one that died already (a reload's that could not load the app) has no exit left to wait for
    if (zygote.state === 'dead') return;
    this.retired.add(zygote);
    if (!zygote.hasForks) zygote.stop();
  }

  private onExit(zygote: Zygote, code: number | null, signal: NodeJS.Signals | null, notStarted?: string): void {
    const how = signal !== null ? `killed by signal ${signal}` : `exit code ${code}`;
    const wasCurrent = this.current === zygote;
    if (notStarted !== undefined) {
      // the forks asked of it fail, and their slots' back-off (or a reload's failure) tries again
      log(`could not start the zygote: ${notStarted}`);
      if (wasCurrent) this.current = null;
      return;
    }
    if (this.retired.delete(zygote) || this.master.stopping()) return;
    if (!wasCurrent) return; // a reload's: its workers' exits give the reload up
    this.current = null;
    if (zygote.readyAt === 0) {
      // it could not load the app: its workers' exits say so, and their slots' back-off tries again
      log(`the zygote (pid: ${zygote.pid}) could not load the app (${how}): see the messages above`);
      return;
    }
    const delayMs = this.restarts.tooFast(1) ? this.master.forkbombDelay() * 1000 : 0;
    log(`DAMN ! the zygote (pid: ${zygote.pid}) died (${how}): its workers keep serving; ` +
      `starting a new zygote${delayMs > 0 ? ` in ${delayMs / 1000} s (it died twice within a second)` : ''}`);
    const restart = (): void => {
      if (!this.master.stopping() && this.current === null) this.current = this.start(this.master.running());
    };
    if (delayMs === 0) restart();
    else setTimeout(restart, delayMs).unref();
  }
}
