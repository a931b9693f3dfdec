// Who is believed about what. `uwsgi-allow` lists the peers that may talk to a TCP uwsgi socket
// (the uwsgi protocol lets the peer set every CGI variable, REMOTE_ADDR and HTTPS included);
// `trusted-proxy` lists the proxies whose X-Forwarded-For and X-Forwarded-Proto headers are
// believed. Entries are IP addresses or networks (`10.0.0.0/8`, `fd00::/8`); `unix` stands for
// peers on unix sockets, which have no address.
import net from 'node:net';

const UNIX = 'unix';

/** Why `entry` is not an address-list entry, or undefined when it is one (for the option table). */
export function addressEntryProblem(entry: string): string | undefined {
  if (entry === UNIX) return undefined;
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = net.isIP(address);
  if (family === 0) return `'${address}' is not an IP address`;
  if (slash === -1) return undefined;
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d+$/.test(bits) || Number(bits) > max) return `the prefix length must be a number from 0 to ${max}`;
  return undefined;
}

export class AddressList {
  /** The entries as given (for the workers, which apply the list to the uwsgi sockets). */
  readonly entries: readonly string[];
  /** The list names peers on unix sockets (`unix`). */
  readonly unix: boolean;
  /** No entries at all: nobody is believed. */
  readonly empty: boolean;
  private readonly blocks = new net.BlockList();
  /** Peers repeat (one nginx, a few proxies): the last answer is kept. */
  private lastAddress = '';
  private lastAnswer = false;

  /** `entries` were checked with addressEntryProblem when the configuration was read. */
  constructor(entries: readonly string[]) {
    this.entries = entries;
    this.empty = entries.length === 0;
    this.unix = entries.includes(UNIX);
    for (const entry of entries) {
      if (entry === UNIX) continue;
      const slash = entry.indexOf('/');
      const address = slash === -1 ? entry : entry.slice(0, slash);
      const type = net.isIPv4(address) ? 'ipv4' : 'ipv6';
      if (slash === -1) this.blocks.addAddress(address, type);
      else this.blocks.addSubnet(address, Number(entry.slice(slash + 1)), type);
    }
  }

  /** Whether the IP address `address` is in the list (false for anything that is not an address). */
  has(address: string): boolean {
    if (address === this.lastAddress) return this.lastAnswer;
    const family = net.isIP(address);
    const answer = family !== 0 && this.blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
    this.lastAddress = address;
    this.lastAnswer = answer;
    return answer;
  }
}

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
