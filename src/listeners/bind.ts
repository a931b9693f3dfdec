// Binding a listener's server to its address: TCP, a unix socket file or a Linux abstract socket.
//
// A unix socket is bound under a temporary name in the same directory, given its mode and owner
// there, then renamed over the configured path. So the path never shows a socket with the wrong
// permissions, a stale file is replaced in one step, and the file is ours to manage: libuv unlinks
// the path it bound when the server closes, which would remove the file even without `vacuum` (and
// even when another server has replaced it since); it only ever knows the temporary name.
//
// checkAddress finds what binding an address would refuse without binding it, for `nuwsgi check`.
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { log } from '../observe/log.ts';
import { describeAddress, type SocketAddress } from './address.ts';
import type { InheritedSocket } from './inherited.ts';

/** sun_path holds 108 bytes with its NUL; node would silently truncate a longer path. */
const MAX_UNIX_PATH_BYTES = 107;

export interface BindOptions {
  /** listen: the backlog. */
  backlog: number;
  /** chmod-socket: the mode of unix socket files; undefined leaves the umask's. */
  mode: number | undefined;
  /** chown-socket: the owner of unix socket files (gid -1 leaves the group). */
  owner: { uid: number; gid: number } | undefined;
  /** A socket systemd passed for this address (inherited.ts): taken as it is, never bound, never vacuumed. */
  inherited?: InheritedSocket;
}

export interface BoundSocket {
  /** `127.0.0.1:3031`, `[::1]:3031`, `/run/app.sock`, `@app`: the address as bound, for the log. */
  label: string;
  /** The TCP port bound (the one chosen for port 0); 0 for unix and abstract sockets. */
  port: number;
  /** vacuum: removes the unix socket file if it is still the one this process created. */
  removeFile(): void;
}

/** What the arbiter needs from a listener, whatever its protocol. */
export interface Listener {
  listen(options: BindOptions): Promise<BoundSocket>;
  /** Stops accepting; connections finish their request. Resolves once every connection has closed. */
  close(): Promise<void>;
  /** Drops every connection (after the mercy timeout). */
  closeAll(): void;
}

let temporaryNames = 0;

/** Binds `server`; rejects with an Error whose message says what is wrong with the address. */
export async function bindServer(server: net.Server, address: SocketAddress, options: BindOptions): Promise<BoundSocket> {
  if (options.inherited !== undefined) {
    await listenOnDescriptor(server, options.inherited.fd, options.backlog);
    const port = address.kind === 'tcp' ? (server.address() as net.AddressInfo).port : 0;
    return { label: options.inherited.label, port, removeFile: () => {} };
  }
  switch (address.kind) {
    case 'tcp': {
      await listen(server, { host: address.host, port: address.port, backlog: options.backlog });
      const port = (server.address() as net.AddressInfo).port;
      return { label: describeAddress(address, port), port, removeFile: () => {} };
    }
    case 'abstract':
      await listen(server, { path: '\0' + address.name, backlog: options.backlog });
      return { label: describeAddress(address), port: 0, removeFile: () => {} };
    case 'unix':
      return bindUnix(server, address.path, options);
  }
}

async function bindUnix(server: net.Server, file: string, options: BindOptions): Promise<BoundSocket> {
  return bindUnixFile(file, options, async (temporary) => {
    await listen(server, { path: temporary, backlog: options.backlog });
    return () => server.close();
  });
}

/**
 * The unix socket at `file`, as described at the top: `bindAt` binds and listens at the temporary
 * name it is given, and returns how to close what it bound should the rest fail.
 */
export async function bindUnixFile(file: string, options: BindOptions,
  bindAt: (temporary: string) => Promise<() => void>): Promise<BoundSocket> {
  if (await unixPathState(file) === 'stale') log(`replacing stale unix socket ${file} (nothing answers on it)`);
  const temporary = path.join(path.dirname(file), `.nuwsgi-${process.pid}-${++temporaryNames}`);
  checkLength(temporary, `the temporary name nuwsgi binds first (${temporary})`);
  fs.rmSync(temporary, { force: true });
  const close = await bindAt(temporary);
  try {
    if (options.mode !== undefined) fs.chmodSync(temporary, options.mode);
    if (options.owner !== undefined) fs.chownSync(temporary, options.owner.uid, options.owner.gid);
    fs.renameSync(temporary, file);
  } catch (err) {
    close();
    throw err;
  }
  const { dev, ino } = fs.statSync(file);
  return { label: file, port: 0, removeFile: () => removeIfOurs(file, dev, ino) };
}

function checkLength(file: string, what: string): void {
  const bytes = Buffer.byteLength(file);
  if (bytes > MAX_UNIX_PATH_BYTES) {
    throw new Error(`${what} is ${bytes} bytes long, more than the ${MAX_UNIX_PATH_BYTES} a unix socket address holds: choose a shorter path`);
  }
}

/**
 * What binding `address` would refuse, found without binding anything: a server that answers there
 * (on the TCP port, the abstract name or the unix socket file), a TCP host that is no address of
 * this machine, a unix socket path that cannot be used. Rejects with an Error that says which, as
 * binding would; a stale socket file is no problem (binding replaces it).
 */
export async function checkAddress(address: SocketAddress): Promise<void> {
  const where = describeAddress(address);
  let answer;
  switch (address.kind) {
    case 'tcp': {
      const ip = net.isIP(address.host) !== 0 ? address.host : (await dns.lookup(address.host)).address;
      if (!isLocalAddress(ip)) throw errnoError('EADDRNOTAVAIL', `address not available ${where}`);
      if (address.port === 0) return;
      // for the wildcard address, the loopback: a server on either answers there
      answer = await probe({ host: ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip, port: address.port }, where);
      break;
    }
    case 'abstract':
      answer = await probe({ path: '\0' + address.name }, where);
      break;
    case 'unix':
      await unixPathState(address.path);
      return;
  }
  if (answer === 'live') throw errnoError('EADDRINUSE', `address already in use ${where}`);
}

/** An address a TCP socket of this machine can bind: a wildcard, the loopback's 127/8 or an interface's. */
function isLocalAddress(ip: string): boolean {
  const local = new net.BlockList();
  local.addSubnet('127.0.0.0', 8, 'ipv4');
  local.addAddress('0.0.0.0', 'ipv4');
  local.addAddress('::', 'ipv6');
  for (const { address, family } of Object.values(os.networkInterfaces()).flatMap((addresses) => addresses ?? [])) {
    local.addAddress(address.split('%')[0]!, family === 'IPv6' ? 'ipv6' : 'ipv4');
  }
  return local.check(ip.split('%')[0]!, net.isIPv6(ip) ? 'ipv6' : 'ipv4');
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const error = new Error(message) as NodeJS.ErrnoException;
  error.code = code;
  return error;
}

/**
 * Whether a unix socket can be bound at `file`: nothing is there ('absent'), or a stale socket
 * (left by a server that did not clean up: nothing answers, and the rename replaces it). Throws
 * for a path too long, in no directory, held by a live socket (another server answers) or by a
 * file that is not a socket (refused, never deleted).
 */
async function unixPathState(file: string): Promise<'absent' | 'stale'> {
  checkLength(file, 'the unix socket path');
  const directory = path.dirname(file);
  if (!fs.statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`there is no directory ${directory} for the socket: create it, or choose another path`);
  }
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (!stats.isSocket()) throw new Error(`${file} exists and is not a socket: remove it or choose another path`);
  if (await probe({ path: file }, file) === 'live') {
    throw new Error(`another server is listening on ${file} (is nuwsgi or uWSGI already running there?)`);
  }
  return 'stale';
}

/** How long a connection attempt of `probe` may take: a local server accepts or refuses at once. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Connects to `target` (`where` names it): 'live' if something accepts (or a unix socket's queue
 * is full), 'free' if refused.
 */
function probe(target: net.NetConnectOpts, where: string): Promise<'live' | 'free'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    socket.setTimeout(PROBE_TIMEOUT_MS, () => {
      socket.destroy();
      reject(new Error(`cannot tell whether ${where} is in use: no answer within ${PROBE_TIMEOUT_MS / 1000} s`));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve('free');
      else if (err.code === 'EAGAIN') resolve('live');
      else reject(new Error(`cannot tell whether ${where} is in use: ${err.code ?? err.message}`));
    });
  });
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Listens on a socket that is open already, as systemd passes them. */
function listenOnDescriptor(server: net.Server, fd: number, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, backlog, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** uWSGI's vacuum: unlink the socket file, unless it is no longer the inode this process bound. */
function removeIfOurs(file: string, dev: number, ino: number): void {
  try {
    const stats = fs.lstatSync(file);
    if (stats.dev !== dev || stats.ino !== ino) {
      log(`VACUUM: ${file} was replaced by another server's socket: left in place`);
      return;
    }
    fs.unlinkSync(file);
    log(`VACUUM: unix socket ${file} removed.`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') log(`VACUUM: cannot remove ${file}: ${code ?? (err as Error).message}`);
  }
}
