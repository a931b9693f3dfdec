// What systemd does for a service, done in a test: a notify socket that records what the service
// sends (sd_notify(3)), and a launcher that binds sockets, sets LISTEN_* and execs nuwsgi with them
// from descriptor 3 on (sd_listen_fds(3)). Both are /usr/bin/python3 scripts, since Node has no
// unix datagram sockets and cannot exec.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { systemPython } from './peers.ts';
import { cliPath } from './server.ts';
import { waitFor } from './wire.ts';

const RECEIVER = `import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\\0" + sys.argv[1][1:] if sys.argv[1].startswith("@") else sys.argv[1])
print("bound", flush=True)
while True:
    data, _ = s.recvfrom(65536)
    print(json.dumps(data.decode("utf-8").split("\\n")), flush=True)`;

export interface NotifyReceiver {
  /** NOTIFY_SOCKET's value. */
  socket: string;
  /** Every datagram received so far, as its lines (["READY=1", "STATUS=..."]), in order. */
  messages: string[][];
  /** Resolves once a message has a line matching `pattern`; returns that message. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<string[]>;
  stop(): void;
}

/**
 * A fake NOTIFY_SOCKET in `dir`, as systemd binds for a Type=notify service; with `abstractName`,
 * in the abstract namespace instead (NOTIFY_SOCKET=@name).
 */
export async function startNotifyReceiver(dir: string, abstractName?: string): Promise<NotifyReceiver> {
  const socket = abstractName === undefined ? path.join(dir, 'notify.sock') : `@${abstractName}`;
  const proc = spawn(systemPython, ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[][] = [];
  let bound = false;
  let pending = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line === 'bound') bound = true;
      else messages.push(JSON.parse(line) as string[]);
    }
  });
  await waitFor(() => bound, 10_000, 'the notify receiver to bind');
  const find = (pattern: RegExp) => messages.find((message) => message.some((line) => pattern.test(line)));
  return {
    socket,
    messages,
    async waitFor(pattern, what, timeoutMs = 20_000) {
      await waitFor(() => find(pattern) !== undefined, timeoutMs, what);
      return find(pattern)!;
    },
    stop: () => { if (proc.exitCode === null) proc.kill(); },
  };
}

/** A socket the launcher binds and passes: `tcp:127.0.0.1:0`, `unix:/path` or `abstract:name`, with its FileDescriptorName. */
export interface PassedSocket {
  spec: string;
  name: string;
}

const LAUNCHER = `import json, os, socket, sys
specs, argv = json.loads(sys.argv[1]), sys.argv[2:]
bound = []
for fd, spec in enumerate(specs, start=3):
    kind, _, where = spec["spec"].partition(":")
    if kind == "tcp":
        host, _, port = where.rpartition(":")
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host.strip("[]"), int(port)))
        address = "%s:%d" % (host, s.getsockname()[1])
    else:
        s = socket.socket(socket.AF_UNIX)
        s.bind(where if kind == "unix" else "\\0" + where)
        address = where if kind == "unix" else "@" + where
    s.listen(128)
    # detached, so that the socket object does not close the descriptor when it goes
    own = s.detach()
    if own != fd:
        os.dup2(own, fd)
        os.close(own)
    os.set_inheritable(fd, True)
    bound.append(address)
print(json.dumps(bound), flush=True)
os.environ["LISTEN_FDS"] = str(len(specs))
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDNAMES"] = ":".join(spec["name"] for spec in specs)
os.execv(argv[0], argv)`;

export interface LaunchedServer {
  proc: ChildProcess;
  /** The addresses bound, in order (a TCP port 0 replaced by the one chosen). */
  addresses: Promise<string[]>;
  output(): string;
}

/**
 * Binds `sockets` as systemd does for a .socket unit (listening, from fd 3 on), sets LISTEN_FDS,
 * LISTEN_PID (its own pid, which exec keeps) and LISTEN_FDNAMES, then execs `nuwsgi ...args`.
 */
export function launchWithSockets(sockets: PassedSocket[], args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): LaunchedServer {
  const proc = spawn(systemPython, ['-c', LAUNCHER, JSON.stringify(sockets), process.execPath, cliPath, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let stdout = '';
  const addresses = new Promise<string[]>((resolve, reject) => {
    proc.once('exit', () => reject(new Error(`the launcher exited before binding; output:\n${text}`)));
    proc.stdout!.on('data', function firstLine(chunk: Buffer) {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      proc.stdout!.off('data', firstLine);
      resolve(JSON.parse(stdout.slice(0, newline)) as string[]);
    });
  });
  addresses.catch(() => {});
  proc.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  proc.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  return { proc, addresses, output: () => text };
}
