// The options of static files: where they are (static-map, static-map2, check-static), which are
// served (static-index, static-skip-ext, static-safe), with which headers (mime-file, the
// static-expires family, add-header), precompressed siblings (the static-gzip family), the
// in-memory cache, and file-serve-mode. Part of the option table (options.ts). Names and forms
// follow uWSGI 2.0 (core/uwsgi.c, core/static.c); the cache bounds are nuwsgi's own.
import type { ConfigField, ExpiresByPattern, ExpiresByType, FileServeMode, StaticMapping } from './config.ts';
import type { OptionSpec } from './option-spec.ts';

const MiB = 1024 * 1024;

/** `MOUNTPOINT=PATH`, split at the first '=' (the option's pattern guarantees there is one). */
function parseMapping(text: string): StaticMapping {
  const eq = text.indexOf('=');
  return { mountpoint: text.slice(0, eq), path: text.slice(eq + 1) };
}

/** Why a regular expression cannot be used, or undefined. */
function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return `it is not a valid regular expression (${(err as Error).message})`;
  }
}

/** `REGEX SECONDS`: the regular expression must compile. */
function expiresProblem(text: string): string | undefined {
  const m = /^(.+?)\s+(\d+)$/.exec(text);
  return m === null ? 'it is not a regular expression, a space and a number of seconds' : regexProblem(m[1]);
}

function parseExpiresByPattern(texts: string[]): ExpiresByPattern[] {
  return texts.map((text) => {
    const m = /^(.+?)\s+(\d+)$/.exec(text)!;
    return { pattern: m[1], seconds: Number(m[2]) };
  });
}

function parseExpiresByType(texts: string[]): ExpiresByType[] {
  return texts.map((text) => {
    const eq = text.lastIndexOf('=');
    return { type: text.slice(0, eq), seconds: Number(text.slice(eq + 1)) };
  });
}

/** `Name: value`, as add-header takes it, into a [name, value] pair. */
function headerProblem(text: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n\0]*$/.test(text) ? undefined : 'it is not a header written as Name: value';
}

function parseHeaders(texts: string[]): string[] {
  const flat: string[] = [];
  for (const text of texts) {
    const colon = text.indexOf(':');
    flat.push(text.slice(0, colon), text.slice(colon + 1).trim());
  }
  return flat;
}

/** uWSGI's spellings of file-serve-mode (core/uwsgi.c). */
function serveMode(text: string | undefined): FileServeMode {
  switch (text?.toLowerCase()) {
    case 'x-sendfile':
    case 'xsendfile':
      return 'x-sendfile';
    case 'x-accel-redirect':
    case 'xaccelredirect':
    case 'nginx':
      return 'x-accel-redirect';
    default:
      return 'raw';
  }
}

function expiresEntry<N extends string, F extends ConfigField>(name: N, field: F, subject: string, example: string) {
  return {
    name,
    field,
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: expiresProblem,
    convert: parseExpiresByPattern,
    placeholder: 'REGEX SECONDS',
    help: `static files whose ${subject} matches REGEX get an Expires header SECONDS ${
      name.endsWith('-mtime') ? 'after their modification time' : 'from now'} (repeatable)`,
    expected: `a regular expression, a space and a number of seconds, e.g. --${name} "${example} 86400"`,
  } as const;
}

export const STATIC_OPTIONS = [
  {
    name: 'static-map',
    field: 'staticMap',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    pattern: /^\/[^=]*=./,
    convert: (texts) => texts.map(parseMapping),
    placeholder: 'MOUNTPOINT=PATH',
    help: 'serve the files under PATH (a directory, or one file) for requests under MOUNTPOINT (repeatable)',
    expected: 'MOUNTPOINT=PATH, where MOUNTPOINT starts with /, e.g. --static-map /static=/srv/app/static',
  },
  {
    name: 'static-map2',
    field: 'staticMap2',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    pattern: /^\/[^=]*=./,
    convert: (texts) => texts.map(parseMapping),
    placeholder: 'MOUNTPOINT=DIR',
    help: 'like static-map, but the whole path is looked up under DIR, mountpoint included (repeatable)',
    expected: 'MOUNTPOINT=DIR, where MOUNTPOINT starts with /, e.g. --static-map2 /static=/srv/app',
  },
  {
    name: 'check-static',
    field: 'checkStatic',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'DIR',
    help: 'serve DIR + PATH_INFO when that file exists, for every request (repeatable)',
    expected: 'a directory, e.g. --check-static /srv/app/public',
  },
  {
    name: 'static-index',
    field: 'staticIndex',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    pattern: /^[^/]+$/,
    placeholder: 'NAME',
    help: 'the file served for a request that names a static directory, tried in order (repeatable)',
    expected: 'a file name without a slash, e.g. --static-index index.html',
  },
  {
    name: 'static-skip-ext',
    field: 'staticSkipExt',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'SUFFIX',
    help: 'never serve static files whose name ends with SUFFIX: the app gets the request (repeatable)',
    expected: 'a suffix, e.g. --static-skip-ext .py',
  },
  {
    name: 'static-safe',
    field: 'staticSafe',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'DIR',
    help: 'a directory that static files may also lead to through symlinks, outside their mount (repeatable)',
    expected: 'a directory, e.g. --static-safe /usr/share/javascript',
  },
  {
    name: 'mime-file',
    field: 'mimeFile',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: ['/etc/mime.types'],
    placeholder: 'FILE',
    help: 'a mime.types file for the Content-Type of static files; extensions it lacks come from mime-db (repeatable)',
    expected: 'a file in mime.types format, e.g. --mime-file /etc/nginx/mime.types',
  },
  expiresEntry('static-expires', 'staticExpires', 'real path', '\\.css$'),
  expiresEntry('static-expires-mtime', 'staticExpiresMtime', 'real path', '\\.css$'),
  expiresEntry('static-expires-uri', 'staticExpiresUri', 'REQUEST_URI', '^/static/'),
  expiresEntry('static-expires-uri-mtime', 'staticExpiresUriMtime', 'REQUEST_URI', '^/static/'),
  expiresEntry('static-expires-path-info', 'staticExpiresPathInfo', 'PATH_INFO', '^/static/'),
  expiresEntry('static-expires-path-info-mtime', 'staticExpiresPathInfoMtime', 'PATH_INFO', '^/static/'),
  {
    name: 'static-expires-type',
    field: 'staticExpiresType',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    pattern: /^[^=\s]+\/[^=\s]+=\d+$/,
    convert: parseExpiresByType,
    placeholder: 'TYPE=SECONDS',
    help: 'static files of Content-Type TYPE get an Expires header SECONDS from now (repeatable)',
    expected: 'a MIME type, = and a number of seconds, e.g. --static-expires-type text/css=86400',
  },
  {
    name: 'static-expires-type-mtime',
    field: 'staticExpiresTypeMtime',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    pattern: /^[^=\s]+\/[^=\s]+=\d+$/,
    convert: parseExpiresByType,
    placeholder: 'TYPE=SECONDS',
    help: 'static files of Content-Type TYPE get an Expires header SECONDS after their modification time (repeatable)',
    expected: 'a MIME type, = and a number of seconds, e.g. --static-expires-type-mtime image/png=604800',
  },
  {
    name: 'static-gzip',
    field: 'staticGzip',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: regexProblem,
    placeholder: 'REGEX',
    help: 'static files whose real path matches REGEX are served from a .br or .gz sibling when the client accepts it (repeatable)',
    expected: 'a regular expression, e.g. --static-gzip "\\.(css|js)$"',
  },
  {
    name: 'static-gzip-all',
    field: 'staticGzipAll',
    restart: true,
    aliases: [],
    kind: 'flag',
    arg: 'optional',
    default: false,
    help: 'serve every static file from its .br or .gz sibling when there is one and the client accepts it',
    expected: 'no value, or =false/off/no/0 to turn it off',
  },
  {
    name: 'static-gzip-dir',
    field: 'staticGzipDir',
    restart: true,
    aliases: ['static-gzip-prefix'],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'DIR',
    help: 'like static-gzip-all, for static files whose real path starts with DIR (repeatable)',
    expected: 'a directory or path prefix, e.g. --static-gzip-dir /srv/app/static/js',
  },
  {
    name: 'static-gzip-ext',
    field: 'staticGzipExt',
    restart: true,
    aliases: ['static-gzip-suffix'],
    kind: 'list',
    arg: 'required',
    default: [],
    placeholder: 'SUFFIX',
    help: 'like static-gzip-all, for static files whose name ends with SUFFIX (repeatable)',
    expected: 'a suffix, e.g. --static-gzip-ext .css',
  },
  {
    name: 'add-header',
    field: 'addHeader',
    restart: true,
    aliases: [],
    kind: 'list',
    arg: 'required',
    default: [],
    check: headerProblem,
    convert: parseHeaders,
    placeholder: 'NAME: VALUE',
    help: 'add this header to every response, static files and the app\'s (repeatable)',
    expected: 'a header written as Name: value, e.g. --add-header "X-Frame-Options: DENY"',
  },
  {
    name: 'file-serve-mode',
    field: 'fileServeMode',
    restart: true,
    aliases: ['fileserve-mode'],
    kind: 'string',
    arg: 'required',
    default: undefined,
    pattern: /^(?:x-sendfile|xsendfile|x-accel-redirect|xaccelredirect|nginx)$/i,
    convert: serveMode,
    placeholder: 'MODE',
    help: 'answer static files with an X-Sendfile or X-Accel-Redirect header and let the front server send them',
    expected: 'x-sendfile or x-accel-redirect (or nginx), e.g. --file-serve-mode x-accel-redirect',
  },
  {
    // uWSGI caches resolved paths for this long; nuwsgi caches the files themselves (static-cache-size)
    name: 'static-cache-paths',
    field: 'staticCachePaths',
    restart: true,
    aliases: [],
    kind: 'int',
    arg: 'required',
    default: 1,
    max: 3600,
    placeholder: 'SECONDS',
    help: 'seconds a static file looked up is trusted before it is checked on disk again (0: every request)',
    expected: 'a whole number of seconds, e.g. --static-cache-paths 5',
  },
  {
    name: 'static-cache-size',
    field: 'staticCacheSize',
    restart: true,
    aliases: [],
    kind: 'size',
    arg: 'required',
    default: 64 * MiB,
    placeholder: 'BYTES',
    help: 'bytes of static files the master keeps in memory, the most recently served first (0: none)',
    expected: 'a whole number of bytes, e.g. --static-cache-size 134217728',
  },
  {
    name: 'static-cache-max-file',
    field: 'staticCacheMaxFile',
    restart: true,
    aliases: [],
    kind: 'size',
    arg: 'required',
    default: MiB,
    placeholder: 'BYTES',
    help: 'largest static file kept in memory; larger ones are streamed from disk',
    expected: 'a whole number of bytes, e.g. --static-cache-max-file 262144',
  },
  {
    // uWSGI's threads that send static files and file_wrapper bodies; nuwsgi's master always does
    name: 'offload-threads',
    aliases: ['offload-thread'],
    kind: 'int',
    arg: 'required',
    default: 0,
    placeholder: 'N',
    help: 'accepted for uWSGI configs: the master always sends static files and file_wrapper bodies itself (no effect)',
    expected: 'a whole number, e.g. --offload-threads 2',
  },
] as const satisfies readonly OptionSpec[];
