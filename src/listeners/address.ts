// Listener addresses as uWSGI writes them: `:3031` (every IPv4 interface), `127.0.0.1:3031`,
// `localhost:3031`, `[::1]:3031` are TCP; `@name` is a Linux abstract socket; anything else (no
// `:`) is the path of a unix socket, except a bare number, which is refused as a likely typo of
// `:PORT`.

export type SocketAddress =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'abstract'; name: string };

/** Throws with the expected form. */
export function parseSocketAddress(spec: string): SocketAddress {
  if (spec === '') throw new Error(`an empty address (expected HOST:PORT, :PORT, a unix socket path or @name)`);
  if (spec.startsWith('@')) {
    if (spec.length === 1) throw new Error(`'@' names no abstract socket (expected @name, e.g. @myapp)`);
    return { kind: 'abstract', name: spec.slice(1) };
  }
  const colon = spec.lastIndexOf(':');
  if (colon === -1) {
    if (/^\d+$/.test(spec)) {
      throw new Error(`'${spec}' would be a unix socket file named ${spec}: for TCP port ${spec} write :${spec} (for the file, ./${spec})`);
    }
    return { kind: 'unix', path: spec };
  }
  let host = spec.slice(0, colon);
  const portText = spec.slice(colon + 1);
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new Error(`'${spec}' has no valid port (expected HOST:PORT with a port from 0 to 65535)`);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') host = '0.0.0.0';
  return { kind: 'tcp', host, port: Number(portText) };
}

/** `127.0.0.1:3031`, `[::1]:3031`, `/run/app.sock`, `@app`: how the log names a bound address. */
export function describeAddress(address: SocketAddress, boundPort?: number): string {
  switch (address.kind) {
    case 'tcp': {
      const host = address.host.includes(':') ? `[${address.host}]` : address.host;
      return `${host}:${boundPort ?? address.port}`;
    }
    case 'unix':
      return address.path;
    case 'abstract':
      return `@${address.name}`;
  }
}
