// A file holding given bytes, in a temporary directory of its own, opened for reading: for the
// in-process tests of what sends files (file-stream, offload).
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './wire.ts';

export interface OpenTempFile {
  /** The directory, for more files beside it. */
  dir: string;
  file: string;
  fd: number;
  /** Closes the file and removes the directory. */
  remove(): void;
}

export function openTempFile(prefix: string, data: Buffer): OpenTempFile {
  const dir = tempDir(prefix);
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, data);
  const fd = fs.openSync(file, 'r');
  return {
    dir, file, fd,
    remove: () => {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
