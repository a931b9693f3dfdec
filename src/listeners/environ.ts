// Pieces of the WSGI environ that every listener builds the same way.

const headerNames = new Map<string, string | null>();
const MAX_CACHED_NAMES = 2000;

/**
 * A request header's CGI name: `User-Agent` -> `HTTP_USER_AGENT`, `Content-Type` -> `CONTENT_TYPE`.
 * null for a name with `_`, which would otherwise be indistinguishable from its dashed twin
 * (`X_Forwarded_For` vs `X-Forwarded-For`): such headers are dropped, as nginx does by default.
 * Names repeat from request to request, so the answers are cached.
 */
export function cgiHeaderName(name: string): string | null {
  let key = headerNames.get(name);
  if (key !== undefined) return key;
  if (name.indexOf('_') !== -1) key = null;
  else {
    const upper = name.toUpperCase().replace(/-/g, '_');
    key = upper === 'CONTENT_TYPE' || upper === 'CONTENT_LENGTH' ? upper : 'HTTP_' + upper;
  }
  if (headerNames.size < MAX_CACHED_NAMES) headerNames.set(name, key);
  return key;
}

/** Percent-decodes a path to bytes shown as a latin-1 string, as PEP 3333 wants PATH_INFO. */
export function percentDecodeLatin1(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
