// Lists of peers, as `uwsgi-allow` and `trusted-proxy` give them: IP addresses or networks
// (`10.0.0.0/8`, `fd00::/8`), and `unix` for peers on unix sockets, which have no address. The
// option table checks each entry with addressEntryProblem, and the resolved configuration holds
// each list as an AddressList. What the listeners believe of the peers listed is
// src/listeners/peers.ts (and, on the uwsgi sockets, the workers' python/nuwsgi_worker/peers.py).
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

/** A list of peers: its entries, and whether an address is in it. */
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
