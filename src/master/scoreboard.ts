// What each core of a worker is doing now, for the stats server and the metrics: a small file the
// worker maps into memory (python/nuwsgi_worker/scoreboard.py) and writes when a core starts and
// ends a request, whichever socket the request came on; the master reads it only when asked. The
// requests a worker accepts on the uwsgi sockets are otherwise known to the master only once done
// (REQUEST_DONE), and a frame per request start would cost every request. uWSGI keeps the same
// numbers in shared memory. The file is unlinked as soon as the worker has it open (a spawned
// worker inherits the descriptor; a forked one opens the path): then only the descriptors name it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CoreState } from './stats/stats-json.ts';

/** Per core: u32 in request (0/1), u32 unused, f64 when the request started (s since the epoch). */
export const CORE_RECORD_BYTES = 16;

let files = 0;

export class Scoreboard {
  readonly fd: number;
  readonly path: string;
  private linked = true;
  private readonly buffer: Buffer;

  constructor(cores: number) {
    const directory = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    this.path = path.join(directory, `nuwsgi-scoreboard-${process.pid}-${++files}`);
    this.fd = fs.openSync(this.path, 'w+', 0o600);
    this.buffer = Buffer.alloc(cores * CORE_RECORD_BYTES);
    fs.writeSync(this.fd, this.buffer, 0, this.buffer.length, 0);
  }

  /** Every core's state now; idle cores when the file cannot be read. */
  read(): CoreState[] {
    const buffer = this.buffer;
    let read = 0;
    try {
      read = fs.readSync(this.fd, buffer, 0, buffer.length, 0);
    } catch {
      read = 0;
    }
    const states: CoreState[] = [];
    for (let offset = 0; offset + CORE_RECORD_BYTES <= buffer.length; offset += CORE_RECORD_BYTES) {
      const inRequest = offset + CORE_RECORD_BYTES <= read && buffer.readUInt32LE(offset) === 1;
      states.push({ inRequest, requestStartMs: inRequest ? buffer.readDoubleLE(offset + 8) * 1000 : 0 });
    }
    return states;
  }

  /** Removes the file's name (once the worker has it open, or is gone). */
  unlinkName(): void {
    if (!this.linked) return;
    this.linked = false;
    try {
      fs.unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
