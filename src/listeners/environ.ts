// Pieces of the WSGI environ that every listener builds the same way.

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `:8000` (every interface), `127.0.0.1:8000`, `localhost:8000`, `[::1]:8000`, as uWSGI writes them.
 * Throws with the expected form.
 */
export function parseListenAddress(spec: string): ListenAddress {
  const colon = spec.lastIndexOf(':');
  if (colon === -1) throw new Error(`'${spec}' is not an address (expected HOST:PORT or :PORT, e.g. 127.0.0.1:8000)`);
  let host = spec.slice(0, colon);
  const portText = spec.slice(colon + 1);
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`'${spec}' has no valid port (expected HOST:PORT with a port from 0 to 65535)`);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') host = '0.0.0.0';
  return { host, port: Number(portText) };
}

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
