// Socket activation (sd_listen_fds(3)): systemd, or anything that does what it does, binds the
// sockets of a .socket unit and starts the service with them open from descriptor 3 on, saying so in
// LISTEN_FDS (how many), LISTEN_PID (for which process) and LISTEN_FDNAMES (their names,
// colon-separated). As in uWSGI, a listener whose address is one of theirs takes that socket
// instead of binding its own: it listens before nuwsgi starts, so connections wait in its backlog
// across a restart, and it is systemd's, so vacuum never removes its file.
//
// Node cannot ask a descriptor for its address; a short Python helper (the workers' interpreter)
// inherits them all and prints each one's family and address.
import { spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import net from 'node:net';
import path from 'node:path';
import { log } from '../observe/log.ts';
import { describeAddress, type SocketAddress } from './address.ts';

/** sd_listen_fds(3): the first descriptor passed. */
const FIRST_FD = 3;

/** A listening socket passed by systemd. */
export interface InheritedSocket {
  fd: number;
  /** Its name in LISTEN_FDNAMES (FileDescriptorName=, by default the socket unit's name). */
  name: string;
  /** How the logs name it: `127.0.0.1:8000 (fd 3 "app.socket" from systemd)`. */
  label: string;
}

/** What LISTEN_* said: the descriptors passed to this process, and their names. */
export interface ListenEnvironment {
  fds: number[];
  names: string[];
}

/**
 * Removes LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES from `env` (they are for this process, not
 * for the workers or what the app starts) and returns the descriptors they pass to this process.
 */
export function takeListenEnvironment(env: NodeJS.ProcessEnv): ListenEnvironment | undefined {
  const count = Number(env.LISTEN_FDS);
  const pid = Number(env.LISTEN_PID);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (!Number.isSafeInteger(count) || count <= 0 || pid !== process.pid) return undefined;
  return { fds: Array.from({ length: count }, (_, i) => FIRST_FD + i), names };
}

/** An inherited descriptor as the helper saw it. */
type Seen =
  | { fd: number; family: 'inet'; host: string; port: number }
  | { fd: number; family: 'unix'; address: string }
  | { fd: number; family: 'other'; why: string };

const GETSOCKNAME = `import json, socket, sys
seen = []
for fd in map(int, sys.argv[1:]):
    try:
        s = socket.socket(fileno=fd)
    except OSError as err:
        seen.append({"fd": fd, "family": "other", "why": err.strerror or str(err)})
        continue
    try:
        name = s.getsockname()
        if s.type != socket.SOCK_STREAM:
            seen.append({"fd": fd, "family": "other", "why": "not a stream socket"})
        elif s.family == socket.AF_UNIX:
            if isinstance(name, bytes):
                name = name.decode("utf-8", "surrogateescape")
            seen.append({"fd": fd, "family": "unix", "address": name})
        elif s.family in (socket.AF_INET, socket.AF_INET6):
            seen.append({"fd": fd, "family": "inet", "host": name[0], "port": name[1]})
        else:
            seen.append({"fd": fd, "family": "other", "why": "family %d" % s.family})
    finally:
        s.detach()
print(json.dumps(seen))`;

/** The sockets passed by systemd, each taken by at most one listener. */
export class InheritedSockets {
  private readonly left: Array<{ socket: InheritedSocket; address: SocketAddress }> = [];

  /** Looks at every descriptor of `passed` with `python`; logs those that cannot serve a listener. */
  constructor(passed: ListenEnvironment, python: string) {
    const result = spawnSync(python, ['-I', '-S', '-c', GETSOCKNAME, ...passed.fds.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe', ...passed.fds],
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.status !== 0) {
      log(`cannot read the sockets passed by systemd (LISTEN_FDS): ${result.error?.message ?? result.stderr.trim()}`);
      return;
    }
    for (const seen of JSON.parse(result.stdout) as Seen[]) {
      const name = passed.names[seen.fd - FIRST_FD] ?? '';
      if (seen.family === 'other') {
        log(`fd ${seen.fd}${name === '' ? '' : ` "${name}"`} from systemd: ${seen.why}: not used`);
        continue;
      }
      const address: SocketAddress = seen.family === 'inet' ? { kind: 'tcp', host: seen.host, port: seen.port }
        // Node pads an abstract name to the whole sun_path with NULs; systemd does not
        : seen.address.startsWith('\0') ? { kind: 'abstract', name: seen.address.slice(1).replace(/\0+$/, '') }
        : { kind: 'unix', path: seen.address };
      const label = `${describeAddress(address)} (fd ${seen.fd}${name === '' ? '' : ` "${name}"`} from systemd)`;
      this.left.push({ socket: { fd: seen.fd, name, label }, address });
    }
  }

  /** The inherited socket bound at `address`, taken out of those left; undefined if none is. */
  async take(address: SocketAddress): Promise<InheritedSocket | undefined> {
    const wanted = address.kind === 'tcp' ? { ...address, host: await ipOf(address.host) } : address;
    const index = this.left.findIndex((candidate) => sameAddress(candidate.address, wanted));
    if (index === -1) return undefined;
    return this.left.splice(index, 1)[0]!.socket;
  }

  /** Logs the inherited sockets no listener took: they stay open, unused. */
  logUnused(): void {
    for (const { socket } of this.left) log(`${socket.label} matches no listener of the configuration: not used`);
  }
}

async function ipOf(host: string): Promise<string> {
  if (net.isIP(host) !== 0) return host;
  try {
    return (await dns.lookup(host)).address;
  } catch {
    return host;
  }
}

function sameAddress(inherited: SocketAddress, wanted: SocketAddress): boolean {
  switch (wanted.kind) {
    case 'tcp':
      return inherited.kind === 'tcp' && wanted.port !== 0 && inherited.port === wanted.port &&
        normalIp(inherited.host) === normalIp(wanted.host);
    case 'unix':
      return inherited.kind === 'unix' && path.resolve(inherited.path) === path.resolve(wanted.path);
    case 'abstract':
      return inherited.kind === 'abstract' && inherited.name === wanted.name;
  }
}

/** `::ffff:127.0.0.1` is 127.0.0.1; an IPv6 address in its one spelling. */
function normalIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) return mapped[1]!;
  if (!net.isIPv6(ip)) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
