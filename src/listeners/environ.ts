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

/** The pieces of an environ block (keys and values, as uWSGI counts them: "{24 vars in 331 bytes}"). */
export function environVarCount(environ: string): number {
  let n = 1;
  for (let i = environ.indexOf('\0'); i !== -1; i = environ.indexOf('\0', i + 1)) n++;
  return n;
}

/** The bytes of a response head as the request log counts them: name, value, ": " and CRLF each. */
export function headBytes(headers: readonly string[]): number {
  let bytes = 0;
  for (let i = 0; i < headers.length; i += 2) bytes += headers[i].length + headers[i + 1].length + 4;
  return bytes;
}
