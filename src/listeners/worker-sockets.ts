// The uwsgi sockets (`--socket`, `--uwsgi-socket`): bound and listening in the master, and served by
// the workers, which inherit them at spawn and accept on them themselves, as uWSGI's workers do.
// nginx opens a connection per request and already shields the app from slow clients, so a hop
// through the master would only cost (docs/architecture.md). The master never accepts on them.
//
// Node has no public way to hold a listening socket without accepting on it. net's internal
// _createServerHandle (what node's own cluster module uses for the same purpose) binds a socket
// without listening; a short helper then calls listen() on the descriptor it inherits, which puts
// the socket itself in the listening state. Node never watches the socket, so connections wait in
// its backlog, from start-up on, for a worker to accept them.
import { spawnSync } from 'node:child_process';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import util from 'node:util';
import { describeAddress, type SocketAddress } from './address.ts';
import { bindUnixFile, type BindOptions, type BoundSocket } from './bind.ts';

/** A bound socket handle of libuv's, as net._createServerHandle returns it (not yet listening). */
interface ServerHandle {
  readonly fd: number;
  getsockname(out: { port?: number }): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number) => ServerHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

/** A listening socket the workers accept on. */
export interface WorkerSocket extends BoundSocket {
  /** Its descriptor in the master, passed to every worker spawned. */
  readonly fd: number;
  close(): void;
}

/**
 * Binds `address` and makes it listen with `options.backlog`, running `python` (the workers'
 * interpreter) for the listen() call. Rejects with an Error that says what is wrong.
 */
export async function bindWorkerSocket(address: SocketAddress, options: BindOptions, python: string): Promise<WorkerSocket> {
  const inherited = options.inherited;
  if (inherited !== undefined) {
    // systemd's socket listens already; the master's copy of the descriptor is closed with the rest
    const port = address.kind === 'tcp' ? address.port : 0;
    return { fd: inherited.fd, label: inherited.label, port, removeFile: () => {}, close: () => closeDescriptor(inherited.fd) };
  }
  switch (address.kind) {
    case 'tcp': {
      const ip = net.isIP(address.host) !== 0 ? address.host : (await dns.lookup(address.host)).address;
      const where = describeAddress(address);
      const handle = bound(createServerHandle(ip, address.port, net.isIP(ip)), where);
      listenOn(handle, options.backlog, python, where);
      const out: { port?: number } = {};
      handle.getsockname(out);
      const port = out.port ?? address.port;
      return { fd: handle.fd, label: describeAddress(address, port), port, removeFile: () => {}, close: () => handle.close() };
    }
    case 'abstract': {
      const handle = bound(createServerHandle('\0' + address.name, -1, -1), describeAddress(address));
      listenOn(handle, options.backlog, python, describeAddress(address));
      return { fd: handle.fd, label: describeAddress(address), port: 0, removeFile: () => {}, close: () => handle.close() };
    }
    case 'unix': {
      let handle: ServerHandle | undefined;
      const socket = await bindUnixFile(address.path, options, async (temporary) => {
        const h = bound(createServerHandle(temporary, -1, -1), address.path);
        handle = h;
        listenOn(h, options.backlog, python, address.path);
        return () => h.close();
      });
      const h = handle!;
      return { ...socket, fd: h.fd, close: () => h.close() };
    }
  }
}

function closeDescriptor(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

/** The handle, or the error binding it gave (a negative errno), as an Error. */
function bound(result: ServerHandle | number, where: string): ServerHandle {
  if (typeof result !== 'number') return result;
  throw errnoError(util.getSystemErrorName(result), where);
}

/** An error as node's own listen() reports it: `bind EADDRINUSE: address already in use 127.0.0.1:3031`. */
function errnoError(code: string, where: string): NodeJS.ErrnoException {
  const errno = (os.constants.errno as Record<string, number>)[code];
  const description = errno === undefined ? undefined : util.getSystemErrorMap().get(-errno)?.[1];
  const error = new Error(`bind ${code}: ${description ?? 'failed'} ${where}`) as NodeJS.ErrnoException;
  error.code = code;
  return error;
}

// libuv defers a TCP bind's EADDRINUSE to listen(), and listen() on a socket that is not bound
// would bind it to some free port: the helper says so with this exit status instead.
const ADDRESS_IN_USE = 98;
const LISTEN = `import socket, sys
s = socket.socket(fileno=3)
if s.family != socket.AF_UNIX and s.getsockname()[1] == 0:
    sys.exit(${ADDRESS_IN_USE})
s.listen(int(sys.argv[1]))`;

/** listen() on the handle's socket, in a child that inherits its descriptor as fd 3. */
function listenOn(handle: ServerHandle, backlog: number, python: string, where: string): void {
  const result = spawnSync(python, ['-I', '-S', '-c', LISTEN, String(backlog)], {
    stdio: ['ignore', 'ignore', 'pipe', handle.fd],
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status === 0) return;
  handle.close();
  if (result.status === ADDRESS_IN_USE) throw errnoError('EADDRINUSE', where);
  const why = result.error?.message ?? (result.stderr.trim().split('\n').pop() || `exit status ${result.status}`);
  throw new Error(`listen() failed: ${why}`);
}
