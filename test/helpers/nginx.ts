// Runs Debian's nginx as a test peer, entirely inside a temporary directory: its own config,
// pid file, error and access logs and every *_temp_path live there, it listens on a free loopback
// port, and it is stopped by its pid. Nothing under /etc/nginx, /var/lib/nginx or /run is touched
// (the config includes a copy of /etc/nginx/uwsgi_params, so `include uwsgi_params;` works as in a
// real site).
//
// Usage:
//
//   const nginxPath = needNginx(t);              // skips locally / fails under CI=true if missing
//   if (nginxPath === undefined) return;
//   const port = await freePort();
//   const nginx = await startNginx(nginxPath, { dir, port, http: `server { listen 127.0.0.1:${port}; ... }` });
//   ...
//   await nginx.stop();
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { missingPeer, needExecutable } from './peers.ts';
import { startServer, type RunningServer } from './server.ts';
import { isAlive, sleep, stopServer, tempDir, waitFor, within } from './wire.ts';

/** The parameter file nginx's `include uwsgi_params;` reads, as Debian's nginx-common installs it. */
export const systemUwsgiParams = '/etc/nginx/uwsgi_params';

/** The nginx binary, or undefined after skipping the test (failing it under CI=true). */
export function needNginx(t: TestContext): string | undefined {
  const nginx = needExecutable(t, 'nginx', 'nginx');
  if (nginx === undefined) return undefined;
  if (fs.existsSync(systemUwsgiParams)) return nginx;
  missingPeer(t, `${systemUwsgiParams} is missing: apt-get install nginx-common`);
  return undefined;
}

/** A loopback TCP port that was free a moment ago (bind to port 0, read the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Where a server accepts connections: a TCP port, or a unix socket path. */
export type ConnectTarget = { port: number; host: string } | { path: string };

/** Resolves once something accepts TCP connections on 127.0.0.1:port (rejects after timeoutMs). */
export function waitForPort(port: number, timeoutMs = 10_000, isGone: () => boolean = () => false): Promise<void> {
  return waitForListener({ port, host: '127.0.0.1' }, timeoutMs, isGone);
}

/**
 * Resolves once something accepts connections on `target`; rejects after timeoutMs, or as soon as
 * `isGone` says the process that should listen there exited.
 */
export function waitForListener(target: ConnectTarget, timeoutMs = 10_000, isGone: () => boolean = () => false): Promise<void> {
  const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
  return waitFor(() => {
    if (isGone()) throw new Error(`the process that should listen on ${where} exited`);
    return canConnect(target);
  }, timeoutMs, `${where} to accept connections`, 50);
}

/** Whether a connection to `target` (TCP port or unix socket path) is accepted right now. */
export function canConnect(target: ConnectTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

export interface NginxConfigOptions {
  /** The temporary directory that holds the config, the logs, the pid file and the temp paths. */
  dir: string;
  /** What goes inside `http { ... }`: upstreams and server blocks. */
  http: string;
  /** The worker's `worker_connections`, clients and upstreams together; default 256. */
  workerConnections?: number;
}

/** Where the files of an nginx run in `dir` are. */
export function nginxPaths(dir: string) {
  return {
    conf: path.join(dir, 'nginx.conf'),
    pid: path.join(dir, 'nginx.pid'),
    errorLog: path.join(dir, 'error.log'),
    accessLog: path.join(dir, 'access.log'),
    uwsgiParams: path.join(dir, 'uwsgi_params'),
  };
}

/**
 * Writes `dir/nginx.conf` (plus a copy of uwsgi_params next to it) and returns its path. The
 * config runs in the foreground (`daemon off;`) with a master and one worker. Under root, nginx
 * would run its worker as `nobody`, which can neither open the temp directory (mode 700) nor a
 * unix socket of mode 660 owned by root, so the config says `user root;` then.
 */
export function writeNginxConfig({ dir, http, workerConnections = 256 }: NginxConfigOptions): string {
  const files = nginxPaths(dir);
  fs.copyFileSync(systemUwsgiParams, files.uwsgiParams);
  const temp = (name: string) => {
    const p = path.join(dir, 'temp', name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  const runsAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const conf = `# nginx for one test run; everything it writes stays in ${dir}
${runsAsRoot ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes 1;
pid ${files.pid};
error_log ${files.errorLog} info;

events {
    worker_connections ${workerConnections};
}

http {
    default_type application/octet-stream;
    access_log ${files.accessLog};
    client_body_temp_path ${temp('client_body')};
    proxy_temp_path ${temp('proxy')};
    fastcgi_temp_path ${temp('fastcgi')};
    uwsgi_temp_path ${temp('uwsgi')};
    scgi_temp_path ${temp('scgi')};

${http}
}
`;
  fs.writeFileSync(files.conf, conf);
  return files.conf;
}

/** What `uwsgi_pass` takes for a socket given as nuwsgi's `--socket`: `unix:/path` or `127.0.0.1:PORT`. */
export function uwsgiPassTarget(socket: string): string {
  return /:\d+$/.test(socket) ? socket : `unix:${socket}`;
}

export interface UwsgiSiteOptions {
  /** The loopback port of the server block. */
  port: number;
  /** Parameters of its `listen` after the address (e.g. `ssl http2`). */
  listenOptions?: string;
  /** uwsgi_pass's argument: `unix:/path`, `127.0.0.1:PORT` or an upstream's name. */
  pass: string;
  /** Default `nuwsgi.test`; the app sees it as SERVER_NAME. */
  serverName?: string;
  /** The `root` (the app sees it as DOCUMENT_ROOT); nginx's default if unset. */
  root?: string;
  /** More directives for the server block (e.g. `client_max_body_size 200m;`). */
  server?: string;
  /** More directives for `location /` (e.g. `uwsgi_buffering off;`). */
  location?: string;
}

/** A server block that hands every request to a uwsgi backend, as a Debian site would. */
export function uwsgiSite(o: UwsgiSiteOptions): string {
  const indent = (text: string | undefined, spaces: string) =>
    (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => `${spaces}${l}\n`).join('');
  return `    server {
        listen 127.0.0.1:${o.port}${o.listenOptions === undefined ? '' : ` ${o.listenOptions}`};
        server_name ${o.serverName ?? 'nuwsgi.test'};
${o.root === undefined ? '' : `        root ${o.root};\n`}${indent(o.server, '        ')}
        location / {
            include uwsgi_params;
            uwsgi_pass ${o.pass};
${indent(o.location, '            ')}        }
    }
`;
}

/** `nginx -t -c CONF -p PREFIX`: checks a config without starting anything. */
export function nginxConfigTest(nginx: string, conf: string, prefix = path.dirname(conf)): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(nginx, ['-t', '-c', conf, '-p', prefix.endsWith('/') ? prefix : `${prefix}/`], { encoding: 'utf8', timeout: 20_000 },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ status, output: `${stdout}${stderr}` });
      });
  });
}

export interface RunningNginx {
  proc: ChildProcess;
  /** The master's pid. */
  pid: number;
  /** The port it was told to listen on. */
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  dir: string;
  conf: string;
  /** The error log so far (nginx writes its upstream errors there). */
  errorLog(): string;
  /** What nginx wrote to stdout and stderr (startup errors before the error log is open). */
  output(): string;
  /** SIGQUIT (graceful), then SIGKILL to the master and its workers if it is still running after timeoutMs. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartNginxOptions extends NginxConfigOptions {
  /** The loopback port one of the server blocks listens on; startNginx waits until it accepts. */
  port: number;
  /** Default 10 s. */
  readyTimeoutMs?: number;
}

/** Pids whose parent is `pid` (from /proc/PID/stat). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "PID (comm) STATE PPID ...": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/** Writes the config and starts nginx in the foreground; resolves once `port` accepts connections. */
export async function startNginx(nginx: string, options: StartNginxOptions): Promise<RunningNginx> {
  const conf = writeNginxConfig(options);
  const files = nginxPaths(options.dir);
  const proc = spawn(nginx, ['-c', conf, '-p', `${options.dir}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  proc.stderr!.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  const errorLog = () => {
    try {
      return fs.readFileSync(files.errorLog, 'utf8');
    } catch {
      return '';
    }
  };

  const stop = async (timeoutMs = 5_000) => {
    if (gone()) return;
    const workers = childPids(proc.pid!);
    proc.kill('SIGQUIT');
    if ((await within(exited, timeoutMs)) === null) {
      for (const p of [...childPids(proc.pid!), ...workers]) {
        try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
      }
      proc.kill('SIGKILL');
      await exited;
    }
    // A worker that outlived its master would keep serving the port: make sure none did.
    for (let i = 0; i < 40 && workers.some(isAlive); i++) await sleep(50);
    for (const p of workers.filter(isAlive)) {
      try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
    }
  };

  try {
    await waitForPort(options.port, options.readyTimeoutMs ?? 10_000, gone);
  } catch (err) {
    await stop(1_000);
    throw new Error(`nginx did not start: ${(err as Error).message}\noutput:\n${text}\nerror log:\n${errorLog()}`);
  }
  return {
    proc, pid: proc.pid!, port: options.port, url: `http://127.0.0.1:${options.port}`, dir: options.dir, conf,
    errorLog, output: () => text, stop,
  };
}

// ---------------------------------------------------------------------------------------------
// nuwsgi on a uwsgi socket, for nginx's uwsgi_pass

/**
 * Starts `nuwsgi --socket SOCKET ...args` (args name the app: `--wsgi-file F` or `--module M`) and
 * resolves once it is ready and the socket (a unix socket path, or HOST:PORT) accepts connections.
 * The caller picks the path or the port: startServer's `port` is only filled in for an HTTP listener.
 */
export async function startNuwsgiSocket(socket: string, args: string[]): Promise<RunningServer> {
  const server = await startServer(['--socket', socket, ...args]);
  const m = /^(.*):(\d+)$/.exec(socket);
  const target: ConnectTarget = m === null ? { path: socket } : { host: m[1] === '' ? '127.0.0.1' : m[1]!, port: Number(m[2]) };
  try {
    await waitForListener(target, 10_000);
  } catch (err) {
    await stopServer(server);
    throw new Error(`${(err as Error).message}; output:\n${server.output()}`);
  }
  return server;
}

/**
 * nuwsgi (`args`) on a unix socket in a temporary directory of its own, and nginx in front of it
 * (`uwsgi_pass` to that socket): the classic deployment. Both are stopped, and the directory
 * removed, when the test `t` ends.
 */
export async function nuwsgiBehindNginx(t: TestContext, nginxPath: string, args: string[]): Promise<{ server: RunningServer; nginx: RunningNginx }> {
  const deployment = deploymentDir(t, 'nuwsgi-behind-nginx-');
  const socket = path.join(deployment.dir, 'app.sock');
  const server = deployment.server = await startNuwsgiSocket(socket, args);
  const port = await freePort();
  const nginx = deployment.nginx = await startNginx(nginxPath, { dir: deployment.dir, port, http: uwsgiSite({ port, pass: `unix:${socket}` }) });
  return { server, nginx };
}

/** A temporary directory for a test's nuwsgi and nginx, and what the test started in it. */
export interface Deployment {
  dir: string;
  server?: RunningServer;
  nginx?: RunningNginx;
}

/**
 * A temporary directory for nuwsgi with nginx in front: when the test `t` ends, the nginx and the
 * nuwsgi set on it are stopped, nginx first, and the directory is removed.
 */
export function deploymentDir(t: TestContext, prefix: string): Deployment {
  const deployment: Deployment = { dir: tempDir(prefix) };
  t.after(async () => {
    await deployment.nginx?.stop();
    await stopServer(deployment.server);
    fs.rmSync(deployment.dir, { recursive: true, force: true });
  });
  return deployment;
}
