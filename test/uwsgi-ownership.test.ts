// Who holds a uwsgi connection: the master binds and listens on the uwsgi sockets, but the workers
// accept on them. While a request is in the app (test/fixtureapps/gated.py, held until its gate
// file exists, so nothing here depends on timing), the master's /proc/PID/fd holds the listening
// socket and no connected socket of that listener, and the worker serving it holds exactly one more
// socket than when idle: the connection. Connected sockets are told apart from the listener and from
// the master's channel sockets by their inodes in /proc/net/unix and /proc/net/tcp.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { deploymentDir, freePort, needNginx, startNginx, uwsgiPassTarget, uwsgiSite, waitForListener } from './helpers/nginx.ts';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { connect, encodePacket, nginxVars, uwsgiTarget, type UwsgiTarget } from './helpers/uwsgi-client.ts';
import { httpRequest, json, parseResponse, waitFor, workerPids, type RawResponse } from './helpers/wire.ts';
import { RENDEZVOUS_PREFIX } from '../src/master/fork-rendezvous.ts';

const gatedApp = path.join(fixtureApps, 'gated.py');

// ---------------------------------------------------------------------------------------------
// /proc probes

/** The inodes of the sockets among `pid`'s open descriptors. */
function socketInodes(pid: number): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

interface UnixRow { inode: string; flags: number; state: number; path: string }

/** /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path". */
function unixRows(): UnixRow[] {
  return fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '').map((line) => {
    const f = line.trim().split(/\s+/);
    return { flags: parseInt(f[3]!, 16), state: parseInt(f[5]!, 16), inode: f[6]!, path: f.slice(7).join(' ') };
  });
}

interface TcpRow { inode: string; localPort: number; remotePort: number; state: number }

/** /proc/net/tcp: "sl local_address rem_address st ... inode". */
function tcpRows(): TcpRow[] {
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '').map((line) => {
    const f = line.trim().split(/\s+/);
    return {
      localPort: parseInt(f[1]!.split(':')[1]!, 16), remotePort: parseInt(f[2]!.split(':')[1]!, 16),
      state: parseInt(f[3]!, 16), inode: f[9]!,
    };
  });
}

const SO_ACCEPTCON = 0x10000;
const SS_CONNECTED = 3;
const TCP_ESTABLISHED = 0x01;
const TCP_LISTEN = 0x0a;

/**
 * The sockets of one uwsgi listener: its own inode, and a function that says which of a process's
 * sockets are connections that came in through it (server side).
 */
interface Listener {
  listenInode: string;
  /** Inodes of `pid`'s sockets that are connections accepted on this listener. */
  connections(pid: number): string[];
  describe(inode: string): string;
}

/**
 * The unix listener the master holds. An accepted unix socket carries the listener's bound name in
 * /proc/net/unix (nuwsgi binds a temporary name and renames the file into place, so the name shown
 * is not the socket path): the master's listening row says which name that is.
 */
function unixListener(masterPid: number): Listener {
  const mine = new Set(socketInodes(masterPid));
  // the master's other listening socket is the one its zygote's forks connect back to (fork-rendezvous.ts)
  const listening = unixRows().filter((r) => mine.has(r.inode) && (r.flags & SO_ACCEPTCON) !== 0 &&
    !path.basename(path.dirname(r.path)).startsWith(RENDEZVOUS_PREFIX));
  assert.equal(listening.length, 1, `the master holds one listening unix socket: ${JSON.stringify(listening)}`);
  const { inode: listenInode, path: name } = listening[0]!;
  assert.notEqual(name, '', 'the listening socket has a name');
  return {
    listenInode,
    connections(pid) {
      const held = new Set(socketInodes(pid));
      return unixRows().filter((r) => held.has(r.inode) && r.inode !== listenInode && r.path === name &&
        (r.flags & SO_ACCEPTCON) === 0).map((r) => r.inode);
    },
    describe(inode) {
      const r = unixRows().find((row) => row.inode === inode);
      return r ? `unix inode ${inode} state ${r.state} flags ${r.flags.toString(16)} path ${r.path}` : `inode ${inode}`;
    },
  };
}

/** The TCP listener on `port`, which the master holds. */
function tcpListener(masterPid: number, port: number): Listener {
  const mine = new Set(socketInodes(masterPid));
  const listening = tcpRows().filter((r) => mine.has(r.inode) && r.state === TCP_LISTEN && r.localPort === port);
  assert.equal(listening.length, 1, `the master holds the listening TCP socket on port ${port}`);
  const listenInode = listening[0]!.inode;
  return {
    listenInode,
    connections(pid) {
      const held = new Set(socketInodes(pid));
      return tcpRows().filter((r) => held.has(r.inode) && r.localPort === port && r.state !== TCP_LISTEN).map((r) => r.inode);
    },
    describe(inode) {
      const r = tcpRows().find((row) => row.inode === inode);
      return r ? `tcp inode ${inode} state ${r.state.toString(16)} ${r.localPort} <- ${r.remotePort}` : `inode ${inode}`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Pending {
  /** The client's local port (TCP only). */
  localPort: number | undefined;
  response: Promise<RawResponse>;
}

/** Sends one uwsgi request for `uri` on a fresh connection; the response ends when the server closes. */
async function sendUwsgi(target: UwsgiTarget, uri: string): Promise<Pending> {
  const socket: net.Socket = await connect(target);
  const localPort = socket.localPort;
  const response = new Promise<RawResponse>((resolve, reject) => {
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of response to ${uri} within 30 s`));
    }, 30_000);
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    socket.on('error', () => { /* the close below reports what arrived */ });
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parseResponse(Buffer.concat(parts), { eof: true });
      if (parsed === null) reject(new Error(`no response to ${uri}: ${JSON.stringify(Buffer.concat(parts).toString('latin1'))}`));
      else resolve(parsed.response);
    });
  });
  socket.write(encodePacket(nginxVars({ uri })));
  return { localPort, response };
}

interface Setup {
  server: RunningServer;
  dir: string;
  listener: Listener;
  workers: number[];
  /** Sends a request for `uri` the way this case does (uwsgi client or nginx). */
  send(uri: string): Promise<Pending>;
}

type Transport = 'unix' | 'tcp';

async function setUp(t: TestContext, transport: Transport, via: 'client' | 'nginx', nginxPath?: string,
  mode: { processes: number; args: string[] } = { processes: 2, args: [] }): Promise<Setup> {
  const deployment = deploymentDir(t, 'nuwsgi-ownership-');
  const dir = deployment.dir;
  // --socket for the unix socket, --uwsgi-socket for TCP: both are uwsgi-protocol sockets.
  const socketArgs = transport === 'unix' ? ['--socket', path.join(dir, 'app.sock')] : ['--uwsgi-socket', '127.0.0.1:0'];
  const server = deployment.server = await startServer([...socketArgs, '--wsgi-file', gatedApp, '--master', '--processes', String(mode.processes), ...mode.args]);
  const target = uwsgiTarget(server);
  await waitForListener('path' in target ? target : { host: target.host ?? '127.0.0.1', port: target.port });
  const listener = transport === 'unix' ? unixListener(server.pid) : tcpListener(server.pid, (target as { port: number }).port);
  const workers = workerPids(server.output()).map((w) => w.pid);
  assert.equal(workers.length, mode.processes, server.output());

  let send: (uri: string) => Promise<Pending> = (uri) => sendUwsgi(target, uri);
  if (via === 'nginx') {
    const port = await freePort();
    const socket = 'path' in target ? target.path : `127.0.0.1:${target.port}`;
    deployment.nginx = await startNginx(nginxPath!, { dir, port, http: uwsgiSite({ port, pass: uwsgiPassTarget(socket) }) });
    send = async (uri) => {
      const result = httpRequest(`http://127.0.0.1:${port}${uri}`, { timeoutMs: 30_000 });
      return {
        localPort: undefined,
        response: result.then((r) => ({
          httpVersion: '1.1', statusCode: r.status, reason: r.statusMessage, headers: [], body: r.body,
          chunked: false, chunkSizes: [], complete: true, headText: '',
        })),
      };
    };
  }
  return { server, dir, listener, workers, send };
}

/** `id`'s request is in the app: gated.py logged that it started. */
function waitStarted(server: RunningServer, id: string) {
  return server.waitForOutput(new RegExp(`gated request ${id} started`), 15_000);
}

async function ownershipCase(t: TestContext, transport: Transport, via: 'client' | 'nginx', nginxPath?: string) {
  const s = await setUp(t, transport, via, nginxPath);
  const { server, listener, workers } = s;

  // Warm both workers up with a request each (two held at once: a single-threaded worker holds one,
  // so each worker takes one), so that the idle baseline below is after a first request.
  const warmGate = path.join(s.dir, 'warm.gate');
  const warm = await Promise.all(['warm1', 'warm2'].map((id) => s.send(`/?gate=${encodeURIComponent(warmGate)}&id=${id}`)));
  await waitStarted(server, 'warm1');
  await waitStarted(server, 'warm2');
  fs.writeFileSync(warmGate, '');
  for (const p of warm) assert.equal((await p.response).statusCode, 200);

  // Idle: no connection held anywhere (a closed connection leaves the fd table once the worker closed it).
  await waitFor(() => [server.pid, ...workers].every((pid) => listener.connections(pid).length === 0), 10_000,
    'every connection of the warm-up to be closed');
  const idle = new Map(workers.map((pid) => [pid, socketInodes(pid).length]));
  const masterIdle = new Set(socketInodes(server.pid));
  assert.ok(masterIdle.has(listener.listenInode), 'the master holds the listening socket');
  for (const pid of workers) {
    assert.ok(socketInodes(pid).includes(listener.listenInode), `worker ${pid} inherited the listening socket`);
  }

  // A request held in the app.
  const gate = path.join(s.dir, 'main.gate');
  const pending = await s.send(`/?gate=${encodeURIComponent(gate)}&id=main`);
  await waitStarted(server, 'main');

  const masterConnections = listener.connections(server.pid);
  assert.deepEqual(masterConnections.map(listener.describe), [], 'the master holds no connected socket of the uwsgi listener');
  const masterNow = socketInodes(server.pid);
  assert.deepEqual(masterNow.filter((i) => !masterIdle.has(i)).map(listener.describe), [],
    'the master opened no socket for the request');

  const holding = workers.filter((pid) => listener.connections(pid).length > 0);
  assert.equal(holding.length, 1, `exactly one worker holds the connection: ${JSON.stringify(workers.map((pid) => [pid, listener.connections(pid)]))}`);
  const serving = holding[0]!;
  const conns = listener.connections(serving);
  assert.equal(conns.length, 1, `the serving worker holds one connection: ${conns.map(listener.describe).join('; ')}`);
  assert.equal(socketInodes(serving).length, idle.get(serving)! + 1, 'the serving worker holds one more socket than when idle');
  for (const pid of workers.filter((p) => p !== serving)) {
    assert.equal(socketInodes(pid).length, idle.get(pid), `the idle worker ${pid} holds what it held before`);
  }
  if (transport === 'unix') {
    assert.equal(unixRows().find((r) => r.inode === conns[0])?.state, SS_CONNECTED, `a connected socket: ${listener.describe(conns[0]!)}`);
  }
  if (transport === 'tcp') {
    const row = tcpRows().find((r) => r.inode === conns[0]);
    assert.equal(row?.state, TCP_ESTABLISHED, `an established connection: ${listener.describe(conns[0]!)}`);
    if (pending.localPort !== undefined) assert.equal(row?.remotePort, pending.localPort, 'the worker\'s connection is the client\'s');
  }

  // Released: the answer comes, the worker closes the connection, the master logs the request.
  fs.writeFileSync(gate, '');
  const response = await pending.response;
  assert.equal(response.statusCode, 200);
  assert.equal(json<{ id: string }>(response.body).id, 'main');
  await waitFor(() => listener.connections(serving).length === 0, 10_000, 'the worker to close the connection');
  assert.equal(socketInodes(serving).length, idle.get(serving));
  await server.waitForOutput(new RegExp(`\\[pid: ${serving}\\|[^\\n]*GET /\\?gate=[^ ]*id=main => generated \\d+ bytes`), 10_000);
}

test('a uwsgi request on a unix socket (--socket PATH): the worker holds the connection, the master does not', async (t) => {
  await ownershipCase(t, 'unix', 'client');
});

test('a uwsgi request on TCP (--uwsgi-socket 127.0.0.1:PORT): the worker holds the connection, the master does not', async (t) => {
  await ownershipCase(t, 'tcp', 'client');
});

test('through nginx (uwsgi_pass unix:PATH): the worker holds the connection, the master does not', async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  await ownershipCase(t, 'unix', 'nginx', nginxPath);
});

test('through nginx (uwsgi_pass 127.0.0.1:PORT): the worker holds the connection, the master does not', async (t) => {
  const nginxPath = needNginx(t);
  if (nginxPath === undefined) return;
  await ownershipCase(t, 'tcp', 'nginx', nginxPath);
});

test('--threads 3 on a unix socket: the worker holds each of its 3 connections, the master none', async (t) => {
  const s = await setUp(t, 'unix', 'client', undefined, { processes: 1, args: ['--threads', '3'] });
  const { server, listener } = s;
  const [worker] = s.workers as [number];
  const hold = async (name: string) => {
    const gate = path.join(s.dir, `${name}.gate`);
    const ids = [1, 2, 3].map((n) => `${name}${n}`);
    const pending = await Promise.all(ids.map((id) => s.send(`/?gate=${encodeURIComponent(gate)}&id=${id}`)));
    for (const id of ids) await waitStarted(server, id);
    return { gate, pending };
  };
  const release = async ({ gate, pending }: { gate: string; pending: Pending[] }) => {
    fs.writeFileSync(gate, '');
    for (const p of pending) assert.equal((await p.response).statusCode, 200);
    await waitFor(() => listener.connections(worker).length === 0, 10_000, 'the worker to close its connections');
  };

  // Warm up every thread, then take the idle baseline.
  await release(await hold('warm'));
  const idle = socketInodes(worker).length;
  const masterIdle = new Set(socketInodes(server.pid));

  const held = await hold('main');
  assert.deepEqual(listener.connections(server.pid).map(listener.describe), [], 'the master holds no connected socket of the uwsgi listener');
  assert.deepEqual(socketInodes(server.pid).filter((i) => !masterIdle.has(i)).map(listener.describe), [], 'the master opened no socket');
  const conns = listener.connections(worker);
  assert.equal(conns.length, 3, `the worker holds the 3 connections: ${conns.map(listener.describe).join('; ')}`);
  for (const inode of conns) assert.equal(unixRows().find((r) => r.inode === inode)?.state, SS_CONNECTED, listener.describe(inode));
  assert.equal(socketInodes(worker).length, idle + 3, 'the worker holds 3 more sockets than when idle');
  await release(held);
  assert.equal(socketInodes(worker).length, idle);
});
