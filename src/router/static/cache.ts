// What the master knows of the static paths it was asked for, by PATH_INFO, the way nginx's
// open_file_cache works: each lookup is trusted for `revalidateMs`, then checked on disk again
// (files.ts does that) before it is used; small files are kept in memory, within a total bound,
// the most recently checked kept first. A path found absent (the app serves it) or refused is
// remembered too, so that the app's requests under a mount cost no lookup each.
import etag from 'etag';
import type { Found, FoundFile } from './disk.ts';

/** A file as sent: where it is, what it was when looked at, its validators, and its bytes when they are kept. */
export interface Representation extends FoundFile {
  /** Computed once per lookup rather than per request (they cost more than the rest of a cached answer). */
  etag: string;
  lastModified: string;
  /** The whole file, when it is small enough to keep; otherwise it is read from disk per request. */
  data: Buffer | null;
  /** The head of a plain 200 for it (files.ts makes it at the first such request). */
  plainHead: string[] | null;
}

export type Entry =
  | { kind: 'app'; checkedMs: number }
  | { kind: 'refuse'; status: 403; why: string; checkedMs: number }
  | {
    kind: 'file';
    file: Representation;
    /** The original file's, whichever representation is sent. */
    contentType: string;
    compressible: boolean;
    br: Representation | null;
    gzip: Representation | null;
    checkedMs: number;
  };

export interface CacheLimits {
  /** static-cache-paths, in ms: how long a lookup is trusted before the disk is asked again. */
  revalidateMs: number;
  /** static-cache-size: bytes of file data kept in all. */
  maxBytes: number;
  /** static-cache-max-file: the largest file kept. */
  maxFileBytes: number;
}

/** Paths remembered at most (absent ones included), whatever their data. */
const MAX_ENTRIES = 10_000;

export class FileCache {
  readonly limits: CacheLimits;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(limits: CacheLimits) {
    this.limits = limits;
  }

  /** The entry for `path` if it may be used without asking the disk at `nowMs`. */
  fresh(path: string, nowMs: number): Entry | undefined {
    const entry = this.entries.get(path);
    return entry !== undefined && nowMs - entry.checkedMs < this.limits.revalidateMs ? entry : undefined;
  }

  /** The entry for `path`, however old (to reuse the data of a file that did not change). */
  previous(path: string): Entry | undefined {
    return this.entries.get(path);
  }

  /** Whether a file of `size` bytes may be kept in memory. */
  keeps(size: number): boolean {
    return size <= this.limits.maxFileBytes && size <= this.limits.maxBytes;
  }

  /** Remembers `entry` for `path` as the most recent, dropping the oldest past the bounds. */
  set(path: string, entry: Entry): void {
    const old = this.entries.get(path);
    if (old !== undefined) {
      this.entries.delete(path);
      this.bytes -= dataBytes(old);
    }
    this.entries.set(path, entry);
    this.bytes += dataBytes(entry);
    for (const [oldest, dropped] of this.entries) {
      if (this.bytes <= this.limits.maxBytes && this.entries.size <= MAX_ENTRIES) break;
      if (oldest === path) break;
      this.entries.delete(oldest);
      this.bytes -= dataBytes(dropped);
    }
  }

  /** Bytes of file data held (for the tests and the stats). */
  get heldBytes(): number {
    return this.bytes;
  }
}

/**
 * A cache entry from what the disk said, reusing the data of `previous` for files that did not
 * change; `contentType` is the file's, by its name.
 */
export function entryFrom(found: Found, previous: Entry | undefined, nowMs: number, contentType: (path: string) => string): Entry {
  if (found.kind !== 'file') return { ...found, checkedMs: nowMs };
  const before = previous?.kind === 'file' ? previous : undefined;
  return {
    kind: 'file',
    file: represent(found.file, before?.file),
    contentType: contentType(found.file.path),
    compressible: found.compressible,
    br: found.br === null ? null : represent(found.br, before?.br ?? undefined),
    gzip: found.gzip === null ? null : represent(found.gzip, before?.gzip ?? undefined),
    checkedMs: nowMs,
  };
}

function represent(file: FoundFile, before: Representation | undefined): Representation {
  return {
    ...file, etag: etag(file.stat), lastModified: file.stat.mtime.toUTCString(), data: sameFile(before, file) ? before!.data : null,
    plainHead: null,
  };
}

/** The same file, unchanged: same path, inode, size and modification and change times. */
function sameFile(a: Representation | undefined, b: FoundFile): boolean {
  return a !== undefined && a.path === b.path && a.stat.ino === b.stat.ino && a.stat.size === b.stat.size &&
    a.stat.mtimeMs === b.stat.mtimeMs && a.stat.ctimeMs === b.stat.ctimeMs;
}

function dataBytes(entry: Entry): number {
  if (entry.kind !== 'file') return 0;
  return (entry.file.data?.length ?? 0) + (entry.br?.data?.length ?? 0) + (entry.gzip?.data?.length ?? 0);
}
