// touch-reload and friends: files whose modification time the master compares on every check.
// A file that does not exist yet counts as time 0, so creating it is a touch too.
import fs from 'node:fs';

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
