// Whole-server reloads (SIGHUP, r/R/w/W on the master FIFO, touch-reload, py-autoreload): a new
// set of workers starts while the current one serves; once every new worker is ready they take
// over at once, and the old ones finish their requests (or are killed, for a brutal reload). A new
// worker that cannot load the app gives the reload up, and the current workers go on.
import type { Config } from '../config/config.ts';
import { log } from '../observe/log.ts';
import type { ReloadKind } from './commands.ts';
import { nextGeneration, type Generation, type Running } from './generation.ts';
import type { Lifecycle } from './lifecycle.ts';
import { workerName } from './slots.ts';
import type { Worker } from './worker.ts';

/** What a reload needs of the master. */
export interface ReloadingMaster {
  readonly events: Lifecycle;
  /** What the current workers run with. */
  running(): Running;
  /** Reads the configuration again; throws when it no longer loads. */
  rereadConfig(): Config;
  /** The environment the workers start from, before --env. */
  readonly baseEnv: NodeJS.ProcessEnv;
  /** A whole reload replaces every slot: successors starting now, and a chain reload, are dropped. */
  dropSuccessors(): void;
  startWorker(slot: number, next: Generation): Worker;
  /** The new set serves, all at once; returns the workers it replaced. */
  takeOver(next: Generation): Worker[];
  retire(worker: Worker, brutal: boolean): void;
  /** The reload `next` is given up: what was started for it alone (its zygote) goes. */
  giveUp(next: Generation): void;
  /** Fills every slot left empty (after a reload was given up). */
  respawnAll(): void;
}

export class Reloads {
  /** The reload in progress: its new workers. */
  private next: Generation | null = null;
  /** Another reload was asked for while one was in progress: it follows. */
  private again: { kind: ReloadKind; why: string } | null = null;
  private readonly master: ReloadingMaster;

  constructor(master: ReloadingMaster) {
    this.master = master;
  }

  get inProgress(): boolean {
    return this.next !== null;
  }

  /** The new workers of the reload in progress. */
  get workers(): readonly Worker[] {
    return this.next?.workers ?? [];
  }

  includes(worker: Worker): boolean {
    return this.next?.workers.includes(worker) ?? false;
  }

  start(kind: ReloadKind, why: string): void {
    const master = this.master;
    if (this.next !== null) {
      this.again = { kind, why };
      log(`${why}: a reload is already in progress; another one follows it`);
      return;
    }
    const rereading = kind === 'graceful' || kind === 'brutal';
    log(`${why}: ${kind.startsWith('brutal') ? 'brutal' : 'graceful'} reload` +
      `${rereading ? ', re-reading the configuration' : ''} (new workers start, then the old ones stop taking requests)`);
    let next: Generation;
    try {
      next = nextGeneration(master.running(), rereading ? () => master.rereadConfig() : null, master.baseEnv, kind.startsWith('brutal'));
    } catch (err) {
      log(`reload refused, the current workers keep serving: ${(err as Error).message}`);
      return;
    }
    master.dropSuccessors();
    this.next = next;
    master.events.emit('reload', { kind, why });
    for (let slot = 1; slot <= next.config.processes; slot++) next.workers.push(master.startWorker(slot, next));
  }

  /** One of the new workers is ready: once all are, they take over. */
  workerReady(): void {
    const next = this.next;
    if (next === null || !next.workers.every((w) => w.state === 'ready')) return;
    this.next = null;
    const old = this.master.takeOver(next);
    for (const worker of old) this.master.retire(worker, next.brutal);
    log(`reload complete: ${next.workers.length} new workers serving; ${old.length} old ones ${next.brutal ? 'killed' : 'finishing their requests'}`);
    this.master.events.emit('serving', { after: 'reload' });
    const again = this.again;
    this.again = null;
    if (again !== null) this.start(again.kind, again.why);
  }

  /**
   * One of the new workers exited before the switch: it leaves the set. Unless the server is
   * stopping, it could not load the app (or `notStarted`: not even start), and the reload is given
   * up. False when it was not one of them.
   */
  workerExited(worker: Worker, how: string, stopping: boolean, notStarted = false): boolean {
    const next = this.next;
    if (next === null || !next.workers.includes(worker)) return false;
    next.workers.splice(next.workers.indexOf(worker), 1);
    if (stopping) return true;
    this.next = null;
    this.again = null;
    log(`reload failed, the current workers keep serving: new ${workerName(worker)} ` +
      (notStarted ? `could not start (${how})` : `could not load the app (${how}): see the messages above`));
    for (const w of next.workers) this.master.retire(w, true);
    this.master.giveUp(next);
    this.master.respawnAll();
    this.master.events.emit('serving', { after: 'failed-reload' });
    return true;
  }
}
