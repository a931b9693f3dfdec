// Which files a request's PATH_INFO may name under the static mounts, before anything touches the
// disk: a pure function, tested in-process (test/static-lookup.test.ts). The worker's
// static_files.py follows the same steps for the uwsgi sockets, and one table of cases runs
// against both (test/static-files.test.ts).
//
// A path that tries to leave its mount is refused here in every spelling: PATH_INFO is already
// percent-decoded (so %2e%2e and %2f arrive as '..' and '/'), and a '.' or '..' segment, a
// backslash, a NUL or bytes that are not UTF-8 (overlong encodings included) are refused outright
// rather than normalised. Symlinks are the disk's business: files.ts checks the real path.
import type { StaticMount, StaticRules } from './rules.ts';

/** A file to look for on disk: `path` under `mount`, as the request names it. */
export interface Candidate {
  mount: StaticMount;
  /** The file's path (symlinks not resolved yet). */
  path: string;
}

export type Lookup =
  /** No mount serves this request: the app gets it. */
  | { kind: 'app' }
  /** Refused: 403 for a path leaving its mount, 404 for a hidden (dot) file. */
  | { kind: 'refuse'; status: 403 | 404; why: string }
  /** Try these in order; the first that exists is served, and when none does the app gets the request. */
  | { kind: 'files'; candidates: Candidate[] };

const APP: Lookup = { kind: 'app' };
// ignoreBOM: a leading byte order mark is part of the name, not dropped
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What `method` and `pathInfo` (percent-decoded, as latin-1 bytes) may be served from. */
export function lookUp(rules: StaticRules, method: string, pathInfo: string): Lookup {
  // uWSGI serves only these; the app answers other methods, even under a mount
  if (method !== 'GET' && method !== 'HEAD') return APP;
  if (endsWithAny(pathInfo, rules.skipExt)) return APP;
  let candidates: Candidate[] | undefined;
  for (const mount of rules.mounts) {
    const rest = relativePart(mount, pathInfo);
    if (rest === undefined) continue;
    const name = vetRelative(rest);
    if (typeof name !== 'string') return name;
    (candidates ??= []).push({ mount, path: mount.file ? mount.root : name === '' ? mount.root : `${mount.root}/${name}` });
  }
  return candidates === undefined ? APP : { kind: 'files', candidates };
}

/** The part of PATH_INFO `mount` looks up under its root, without the leading '/'; undefined when it does not serve it. */
function relativePart(mount: StaticMount, pathInfo: string): string | undefined {
  const prefix = mount.prefix;
  // the prefix must end at a segment: /static serves /static and /static/x, never /staticx
  if (!pathInfo.startsWith(prefix)) return undefined;
  if (pathInfo.length > prefix.length && pathInfo.charCodeAt(prefix.length) !== 47 /* '/' */ && prefix !== '') return undefined;
  if (mount.file) return pathInfo.length === prefix.length ? '' : undefined;
  const rest = mount.keepPrefix ? pathInfo : pathInfo.slice(prefix.length);
  return rest.replace(/^\/+/, '');
}

/** The relative path as a file name (UTF-8 decoded), or why it may not be served. */
function vetRelative(rest: string): string | Lookup {
  if (rest.includes('\\')) return forbidden('a backslash in the path');
  if (rest.includes('\0')) return forbidden('a NUL byte in the path');
  let name = rest;
  // latin-1 code units are bytes: anything above 0x7f must decode as UTF-8 (no overlong forms)
  if (/[\x80-\xff]/.test(rest)) {
    try {
      name = utf8.decode(Buffer.from(rest, 'latin1'));
    } catch {
      return forbidden('the path is not valid UTF-8');
    }
  }
  let hidden = false;
  for (const segment of rest.split('/')) {
    if (segment === '..' || segment === '.') return forbidden(`a '${segment}' segment in the path`);
    if (segment.charCodeAt(0) === 46 /* '.' */) hidden = true;
  }
  // dot files stay hidden, as send's default has it (.git, .env, .htpasswd)
  if (hidden) return { kind: 'refuse', status: 404, why: 'a hidden (dot) file' };
  return name;
}

function forbidden(why: string): Lookup {
  return { kind: 'refuse', status: 403, why };
}

export function endsWithAny(name: string, suffixes: readonly string[]): boolean {
  for (const suffix of suffixes) if (name.endsWith(suffix)) return true;
  return false;
}
