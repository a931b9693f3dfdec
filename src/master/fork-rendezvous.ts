// Where the workers a zygote forks connect back to the master: a unix socket in a directory only
// the master's user can enter. Each forked child opens three connections, its stdout, its stderr
// and its channel, and starts each with a HELLO frame naming the fork by the random token the
// master gave it (docs/channel.md, "Forked workers"); a connection with no known token is closed.
// A master removes its directory when it stops; the directories of masters that were killed are
// removed by the next one to make its own.
import fs from 'node:fs';
import net, { type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as F from '../channel/frames.ts';

export type ForkStream = 'channel' | 'stdout' | 'stderr';
/** A connection of a fork arrived: `socket` carries the rest of its bytes (the HELLO is consumed). */
export type Arrival = (stream: ForkStream, socket: Socket, pid: number) => void;

/** What the directory's name starts with. */
export const RENDEZVOUS_PREFIX = 'nuwsgi-forks-';
/** The socket's name in it. */
const SOCKET_NAME = 'forks.sock';

/**
 * A new directory only this user can enter: in TMPDIR, else /tmp. A TMPDIR the server cannot write
 * to costs the app its temporary files (post-buffering says so per request), not the server its
 * workers. (An abstract socket would need no directory, but node pads its name to the whole
 * sun_path, which Python's connect() does not; and any process of any user in the network
 * namespace could connect to it, where the directory admits only the master's user.)
 */
function privateDirectory(): string {
  const places = [...new Set([os.tmpdir(), '/tmp'])];
  let failure: Error | undefined;
  for (const place of places) {
    try {
      const directory = fs.mkdtempSync(path.join(place, RENDEZVOUS_PREFIX));
      fs.chmodSync(directory, 0o700);
      return directory;
    } catch (err) {
      failure ??= err as Error;
    }
  }
  throw new Error(`no directory for the socket of the forked workers (${places.join(', ')}): ${failure?.message}`);
}

/** A HELLO is small JSON; anything longer is not one. */
const MAX_HELLO = 4096;
/** A connection that has not said who it is by then is closed. */
const HELLO_TIMEOUT_MS = 10_000;

export class ForkRendezvous {
  readonly path: string;
  private readonly directory: string;
  private readonly server: net.Server;
  private readonly expected = new Map<string, Arrival>();

  constructor() {
    this.directory = privateDirectory();
    this.path = path.join(this.directory, SOCKET_NAME);
    this.server = net.createServer((socket) => this.greet(socket));
    this.server.on('error', (err) => process.emitWarning(`the socket of the forked workers (${this.path}): ${err.message}`));
    // binding a unix socket happens within listen(): a child may connect as soon as this returns
    this.server.listen(this.path);
    this.server.unref();
    void removeDeadMasters(path.dirname(this.directory), this.directory);
  }

  expect(token: string, arrival: Arrival): void {
    this.expected.set(token, arrival);
  }

  forget(token: string): void {
    this.expected.delete(token);
  }

  close(): void {
    this.server.close();
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  private greet(socket: Socket): void {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    timer.unref();
    const refuse = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < F.HEADER_SIZE) return;
      const length = head.readUInt32LE(8);
      if (head[0] !== F.HELLO || length > MAX_HELLO) return refuse();
      if (head.length < F.HEADER_SIZE + length) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      let hello: { token?: unknown; stream?: unknown; pid?: unknown };
      try {
        hello = JSON.parse(head.subarray(F.HEADER_SIZE, F.HEADER_SIZE + length).toString('utf8')) as typeof hello;
      } catch {
        return refuse();
      }
      const arrival = typeof hello.token === 'string' ? this.expected.get(hello.token) : undefined;
      const stream = hello.stream;
      if (arrival === undefined || (stream !== 'channel' && stream !== 'stdout' && stream !== 'stderr')) return refuse();
      const rest = head.subarray(F.HEADER_SIZE + length);
      if (rest.length > 0) socket.unshift(rest);
      arrival(stream, socket, typeof hello.pid === 'number' ? hello.pid : 0);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', () => {
      // a fork that died while connecting; its exit is reported by its zygote
    });
  }
}

/**
 * Removes the directories in `place` of this user's masters that are gone: SIGKILL (or the OOM
 * killer) leaves a master no time to remove its own. A directory is a dead master's when its socket
 * refuses a connection, since nothing listens on it any more; unlike a pid in the name, that holds
 * for a master in another pid namespace that shares the directory, and for a dead master's pid
 * taken by another process. A live master's socket accepts (the probe closes without a HELLO,
 * which costs that master nothing), and a directory without a socket is left alone.
 */
async function removeDeadMasters(place: string, own: string): Promise<void> {
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = await fs.promises.readdir(place);
  } catch {
    return;
  }
  for (const name of names) {
    const directory = path.join(place, name);
    if (!name.startsWith(RENDEZVOUS_PREFIX) || directory === own) continue;
    try {
      const stat = await fs.promises.lstat(directory);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      if (await refused(path.join(directory, SOCKET_NAME))) await fs.promises.rm(directory, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another master doing the same
    }
  }
}

/** Whether a connection to the unix socket `file` is refused: it exists, and no process listens on it. */
function refused(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
