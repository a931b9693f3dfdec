// touch-reload and friends: files whose modification time the master compares on every check.
// A file that does not exist yet counts as time 0, so creating it is a touch too.
import fs from 'node:fs';
import type { Config } from '../config/config.ts';
import type { MasterVerbs } from './commands.ts';

export class TouchWatcher {
  private readonly mtimes = new Map<string, number>();

  constructor(files: readonly string[]) {
    for (const file of files) this.mtimes.set(file, mtimeOf(file));
  }

  /** The first file touched since the last call, or undefined. */
  touched(): string | undefined {
    let found: string | undefined;
    for (const [file, before] of this.mtimes) {
      const now = mtimeOf(file);
      if (now === before) continue;
      this.mtimes.set(file, now);
      found ??= file;
    }
    return found;
  }
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * The reloads the touch files of a configuration ask for: touch-reload (graceful),
 * touch-workers-reload and touch-chain-reload. The returned function looks once (on each check
 * tick) and starts the reload of each set whose file was touched.
 */
export function watchTouchFiles(config: Config, verbs: MasterVerbs): () => void {
  const watchers: Array<[TouchWatcher, (file: string) => void]> = [
    [new TouchWatcher(config.touchReload), (file) => verbs.reload('graceful', `*** ${file} has been touched... grace them all !!! ***`)],
    [new TouchWatcher(config.touchWorkersReload), (file) => verbs.reload('workers', `*** ${file} has been touched... workers reload !!! ***`)],
    [new TouchWatcher(config.touchChainReload), (file) => verbs.chainReload(`*** ${file} has been touched... chain reload !!! ***`)],
  ];
  return () => {
    for (const [watcher, act] of watchers) {
      const file = watcher.touched();
      if (file !== undefined) act(file);
    }
  };
}
