// From the candidates of a lookup (lookup.ts) to the file on disk: its real path (symlinks
// resolved, and refused when they lead out of the mount and every static-safe path), a directory's
// index, the skip list, and the precompressed siblings that may stand in for it.
import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { endsWithAny, type Candidate } from './lookup.ts';
import type { StaticRules } from './rules.ts';

/** One file as found on disk: the file itself, or a `.br` / `.gz` sibling of it. */
export interface FoundFile {
  path: string;
  stat: Stats;
}

export type Found =
  | { kind: 'app' }
  | { kind: 'refuse'; status: 403; why: string }
  | {
    kind: 'file';
    file: FoundFile;
    /** Precompression applies to this file (the response varies on Accept-Encoding). */
    compressible: boolean;
    br: FoundFile | null;
    gzip: FoundFile | null;
  };

/** Errors that mean "no such file here": the next candidate is tried, then the app. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP', 'EACCES']);

export async function findOnDisk(rules: StaticRules, gzipPatterns: readonly RegExp[], candidates: readonly Candidate[]): Promise<Found> {
  for (const { mount, path } of candidates) {
    const found = await realFile(rules, mount.root, path);
    if (found === null) continue;
    if ('refuse' in found) return { kind: 'refuse', status: 403, why: found.refuse };
    let file = found;
    if (file.stat.isDirectory()) {
      const index = await indexOf(rules, mount.root, file.path);
      if (index === null) continue;
      if ('refuse' in index) return { kind: 'refuse', status: 403, why: index.refuse };
      file = index;
    }
    if (!file.stat.isFile()) continue;
    if (endsWithAny(file.path, rules.skipExt)) return { kind: 'app' };
    const compressible = isCompressible(rules, gzipPatterns, file.path);
    return {
      kind: 'file',
      file,
      compressible,
      br: compressible ? await sibling(rules, mount.root, file.path + '.br') : null,
      gzip: compressible ? await sibling(rules, mount.root, file.path + '.gz') : null,
    };
  }
  return { kind: 'app' };
}

/** The real path of `path` and its stat; null when there is none; a refusal when it leads out of `root`. */
async function realFile(rules: StaticRules, root: string, path: string): Promise<FoundFile | { refuse: string } | null> {
  let real: string;
  let stat: Stats;
  try {
    real = await fs.realpath(path);
    stat = await fs.stat(real);
  } catch (err) {
    if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
  if (!isUnder(real, root) && !rules.safe.some((safe) => isUnder(real, safe))) {
    return { refuse: `${real} is not under ${root} or a static-safe path` };
  }
  return { path: real, stat };
}

/** The first static-index file of a directory. */
async function indexOf(rules: StaticRules, root: string, dir: string): Promise<FoundFile | { refuse: string } | null> {
  for (const name of rules.index) {
    const found = await realFile(rules, root, `${dir}/${name}`);
    if (found !== null && ('refuse' in found || found.stat.isFile())) return found;
  }
  return null;
}

/**
 * A precompressed sibling: a regular file next to the original (its name alone decides, as in
 * uWSGI); one that leads out of the mount (a symlink) is not used.
 */
async function sibling(rules: StaticRules, root: string, path: string): Promise<FoundFile | null> {
  try {
    const found = await realFile(rules, root, path);
    return found !== null && !('refuse' in found) && found.stat.isFile() ? found : null;
  } catch {
    return null;
  }
}

/** static-gzip-all, static-gzip-dir, static-gzip-ext and static-gzip, over the real path. */
function isCompressible(rules: StaticRules, patterns: readonly RegExp[], path: string): boolean {
  const gzip = rules.gzip;
  return gzip.all || gzip.dirs.some((dir) => path.startsWith(dir)) || endsWithAny(path, gzip.exts) ||
    patterns.some((pattern) => pattern.test(path));
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || dir === '/' || (path.startsWith(dir) && path.charCodeAt(dir.length) === 47 /* '/' */);
}
