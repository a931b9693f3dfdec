// Who is believed about what. `uwsgi-allow` lists the peers that may talk to a TCP uwsgi socket
// (the uwsgi protocol lets the peer set every CGI variable, REMOTE_ADDR and HTTPS included);
// `trusted-proxy` lists the proxies whose X-Forwarded-For and X-Forwarded-Proto headers are
// believed. The lists themselves (addresses, networks, `unix`) are src/config/address-list.ts.
import net from 'node:net';
import type { AddressList } from '../config/address-list.ts';

/**
 * The client's address according to X-Forwarded-For, for a request whose direct peer is a trusted
 * proxy: every proxy appends the address it received the request from, so reading from the right,
 * the first address that is not a trusted proxy is the client (entries further left were written
 * by that client and prove nothing). Undefined when the rightmost entry is not an address.
 */
function forwardedClient(forwardedFor: string, trusted: AddressList): string | undefined {
  let client: string | undefined;
  let end = forwardedFor.length;
  for (;;) {
    const comma = forwardedFor.lastIndexOf(',', end - 1);
    const entry = forwardedFor.slice(comma + 1, end).trim();
    if (net.isIP(entry) === 0) return client;
    client = entry;
    if (comma === -1 || !trusted.has(entry)) return client;
    end = comma;
  }
}

/** `http` or `https` from X-Forwarded-Proto (the last value if a proxy appended one), else undefined. */
function forwardedScheme(forwardedProto: string): 'http' | 'https' | undefined {
  const comma = forwardedProto.lastIndexOf(',');
  const value = (comma === -1 ? forwardedProto : forwardedProto.slice(comma + 1)).trim().toLowerCase();
  return value === 'https' || value === 'http' ? value : undefined;
}

/**
 * REMOTE_ADDR and wsgi.url_scheme of a request whose direct peer is a trusted proxy, as its
 * X-Forwarded-For and X-Forwarded-Proto say; each stays as it was when its header is absent or
 * says nothing usable. The one place where those headers are believed, for every listener.
 */
export function forwardedOrigin(trusted: AddressList, remoteAddr: string, scheme: string,
  forwardedFor: string | undefined, forwardedProto: string | undefined): { remoteAddr: string; scheme: string } {
  return {
    remoteAddr: forwardedFor === undefined ? remoteAddr : forwardedClient(forwardedFor, trusted) ?? remoteAddr,
    scheme: forwardedProto === undefined ? scheme : forwardedScheme(forwardedProto) ?? scheme,
  };
}
