// The static-file rules, resolved once at start from the configuration: the mounts with their
// real roots, the index and skip lists, the safe paths, the expiry and precompression rules, the
// MIME table and the extra headers. The master serves its HTTP listeners by them (files.ts), and
// the workers get the very same object in CONFIG for the uwsgi sockets they accept on
// (docs/channel.md, python/nuwsgi_worker/static_files.py), so the two never derive them apart.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Config, ExpiresByPattern, ExpiresByType, FileServeMode } from '../../config/config.ts';

/** Where one mount looks its files up. */
export interface StaticMount {
  /** The PATH_INFO prefix it serves ('' for check-static, which serves every path). */
  prefix: string;
  /** The real path (symlinks resolved) of its directory, or of its one file. */
  root: string;
  /** The root is one file, served for the prefix itself (`static-map /favicon.ico=/srv/favicon.ico`). */
  file: boolean;
  /** static-map2: the whole PATH_INFO, prefix included, is looked up under the root. */
  keepPrefix: boolean;
}

/** One expiry rule, in the order uWSGI tries them (core/static.c): the first that matches gives the Expires header. */
export interface ExpiresRule {
  /** What is matched: the file's real path, PATH_INFO, REQUEST_URI (regular expressions) or the Content-Type (equal). */
  subject: 'filename' | 'path_info' | 'uri' | 'type';
  pattern: string;
  seconds: number;
  /** Counted from the file's modification time instead of from now. */
  fromMtime: boolean;
}

/** Which files may be served from a precompressed sibling (`.br`, `.gz`). */
export interface GzipRules {
  all: boolean;
  /** Real-path prefixes. */
  dirs: string[];
  /** Name suffixes. */
  exts: string[];
  /** Regular expressions over the real path. */
  patterns: string[];
}

export interface StaticRules {
  /** Tried in this order: longest prefix first, mounts of one prefix in the order given (fallbacks). */
  mounts: StaticMount[];
  index: string[];
  skipExt: string[];
  /** Real paths that symlinks may lead to outside a mount. */
  safe: string[];
  expires: ExpiresRule[];
  gzip: GzipRules;
  /** Lower-case extension (without the dot) -> Content-Type, charset included for text. */
  mimeTypes: Record<string, string>;
  /** add-header: a flat [name, value, ...] list added to every response. */
  addHeaders: string[];
  serveMode: FileServeMode;
}

/** The rules, and what start-up should warn of (a mount whose path does not exist). */
export interface ResolvedStaticRules {
  rules: StaticRules;
  warnings: string[];
}

/** Whether the configuration serves static files at all. */
export function servesStaticFiles(rules: StaticRules): boolean {
  return rules.mounts.length > 0;
}

export function resolveStaticRules(config: Config): ResolvedStaticRules {
  const warnings: string[] = [];
  const mounts: StaticMount[] = [];
  const add = (option: string, given: string, prefix: string, target: string, keepPrefix: boolean) => {
    let root: string;
    let stat: fs.Stats;
    try {
      root = fs.realpathSync(target);
      stat = fs.statSync(root);
    } catch (err) {
      warnings.push(`${option} ${given}: ${target} cannot be used (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        'it serves nothing until the server restarts with it in place');
      return;
    }
    const file = !stat.isDirectory();
    if (file && keepPrefix) {
      warnings.push(`${option} ${given}: ${target} is not a directory; it serves nothing`);
      return;
    }
    // the mountpoint without its trailing slash, so that /static/ and /static serve /static itself too
    mounts.push({ prefix: prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix === '/' ? '' : prefix, root, file, keepPrefix });
  };
  for (const dir of config.checkStatic) add('check-static', dir, '', dir, false);
  for (const m of config.staticMap) add('static-map', `${m.mountpoint}=${m.path}`, m.mountpoint, m.path, false);
  for (const m of config.staticMap2) add('static-map2', `${m.mountpoint}=${m.path}`, m.mountpoint, m.path, true);
  // longest prefix first; sort is stable, so mounts of one prefix keep their order
  mounts.sort((a, b) => b.prefix.length - a.prefix.length);

  const safe: string[] = [];
  for (const dir of config.staticSafe) {
    try {
      safe.push(fs.realpathSync(dir));
    } catch {
      warnings.push(`static-safe ${dir}: it does not exist; ignored`);
    }
  }
  return {
    rules: {
      mounts,
      index: config.staticIndex,
      skipExt: config.staticSkipExt,
      safe,
      expires: expiresRules(config),
      gzip: { all: config.staticGzipAll, dirs: config.staticGzipDir, exts: config.staticGzipExt, patterns: config.staticGzip },
      mimeTypes: mounts.length > 0 ? mimeTable(config.mimeFile, warnings) : {},
      addHeaders: config.addHeader,
      serveMode: config.fileServeMode,
    },
    warnings,
  };
}

/** uWSGI's order: by real path, by PATH_INFO, by URI (each from now, then from mtime), then by type. */
function expiresRules(config: Config): ExpiresRule[] {
  const byPattern = (subject: ExpiresRule['subject'], rules: ExpiresByPattern[], fromMtime: boolean): ExpiresRule[] =>
    rules.map(({ pattern, seconds }) => ({ subject, pattern, seconds, fromMtime }));
  const byType = (rules: ExpiresByType[], fromMtime: boolean): ExpiresRule[] =>
    rules.map(({ type, seconds }) => ({ subject: 'type', pattern: type, seconds, fromMtime }));
  return [
    ...byPattern('filename', config.staticExpires, false), ...byPattern('filename', config.staticExpiresMtime, true),
    ...byPattern('path_info', config.staticExpiresPathInfo, false), ...byPattern('path_info', config.staticExpiresPathInfoMtime, true),
    ...byPattern('uri', config.staticExpiresUri, false), ...byPattern('uri', config.staticExpiresUriMtime, true),
    ...byType(config.staticExpiresType, false), ...byType(config.staticExpiresTypeMtime, true),
  ];
}

/**
 * Extension -> Content-Type: mime-db's table (through mime-types), overridden by the mime.types
 * files given, in order (uWSGI reads only those; mime-db fills what a minimal system lacks).
 */
function mimeTable(files: readonly string[], warnings: string[]): Record<string, string> {
  // required here, not imported at the top: mime-db's table would cost a master without static
  // mounts about 4 MiB of its RSS
  const mimeTypes = createRequire(import.meta.url)('mime-types') as typeof import('mime-types');
  const withCharset = (type: string): string => {
    // `text/css` -> `text/css; charset=utf-8`: mime-db knows which types are text
    const charset = mimeTypes.charset(type);
    return charset === false ? type : `${type}; charset=${charset.toLowerCase()}`;
  };
  // no prototype: an extension such as `constructor` must not find Object's
  const table: Record<string, string> = Object.create(null);
  for (const [ext, type] of Object.entries(mimeTypes.types)) table[ext] = withCharset(type);
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      // the default file is often missing from containers: only one the user named is worth a warning
      if (file !== '/etc/mime.types') warnings.push(`mime-file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code}); ignored`);
      continue;
    }
    for (const line of text.split('\n')) {
      const fields = line.replace(/#.*/, '').trim().split(/\s+/);
      if (fields.length < 2 || !fields[0].includes('/')) continue;
      for (const ext of fields.slice(1)) table[ext.toLowerCase()] = withCharset(fields[0].toLowerCase());
    }
  }
  return table;
}

/** The Content-Type of a file by its extension (application/octet-stream when unknown). */
export function contentTypeOf(rules: StaticRules, file: string): string {
  const ext = path.extname(file).slice(1).toLowerCase();
  return (ext !== '' ? rules.mimeTypes[ext] : undefined) ?? 'application/octet-stream';
}
