// uWSGI's master FIFO: named pipes the master reads one-letter commands from (`echo r > fifo`).
// With several --master-fifo, the first is active and the commands 0-9 switch to another one.
// Each FIFO is opened read-write, so that the master is a writer too and never sees EOF when the
// last `echo` closes it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { log } from '../observe/log.ts';

export class MasterFifos {
  private readonly files: readonly string[];
  private readonly sockets: net.Socket[] = [];
  private active = 0;

  /** Creates (or re-creates) the FIFOs and starts reading them. Throws with a message naming the file. */
  constructor(files: readonly string[], onCommand: (command: string) => void) {
    this.files = files;
    files.forEach((file, index) => {
      makeFifo(file);
      const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      const socket = new net.Socket({ fd, readable: true, writable: false });
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => {
        for (const command of text) {
          if (index !== this.active || command === '\n' || command === '\r') continue;
          if (command >= '0' && command <= '9') this.switchTo(Number(command));
          else onCommand(command);
        }
      });
      socket.on('error', () => {});
      this.sockets.push(socket);
    });
  }

  /** Stops reading; with `remove`, deletes the FIFO files (vacuum). */
  close(remove: boolean): void {
    for (const socket of this.sockets) socket.destroy();
    if (remove) for (const file of this.files) fs.rmSync(file, { force: true });
  }

  private switchTo(index: number): void {
    if (index >= this.files.length) return;
    this.active = index;
    log(`master FIFO: now obeying ${this.files[index]}`);
  }
}

/** mkfifo FILE, replacing whatever is there, as uWSGI does. */
function makeFifo(file: string): void {
  fs.rmSync(file, { force: true });
  const result = spawnSync('mkfifo', ['-m', '600', file], { encoding: 'utf8' });
  if (result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim();
    throw new Error(`--master-fifo ${file}: cannot create the FIFO: ${why}`);
  }
}
