// Starting and stopping the servers a scenario compares: each on loopback, in a process group of
// its own, with the same number of worker processes (and threads, where the server has them), and
// stopped by its pid. bench/contenders.ts and bench/tls-contenders.ts say which servers, with what.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CertFiles } from '../test/helpers/certs.ts';
import { freePort, startNginx, uwsgiSite, waitForListener, type ConnectTarget } from '../test/helpers/nginx.ts';
import { findExecutable } from '../test/helpers/peers.ts';
import { repoRoot } from '../test/helpers/server.ts';
import { startUwsgiOracle } from '../test/helpers/uwsgi-oracle.ts';
import { within } from '../test/helpers/wire.ts';
import { processTree, type ProcessGroups } from './cpu.ts';

export const appsDir = path.join(repoRoot, 'bench', 'apps');

/** What a contender needs to start for one scenario. */
export interface Setup {
  /** The app in bench/apps/, without `.py`. */
  app: string;
  /** A private directory for unix sockets and config files. */
  dir: string;
  /** The directory served at /static/ (the static-file scenario). */
  staticDir: string;
  processes: number;
  threads: number;
  /** Environment variables for the server (and so its app), on top of the harness's own. */
  env?: Record<string, string>;
}

export interface Server {
  /** http://127.0.0.1:PORT (https:// for a TLS listener), the request path not included. */
  url: string;
  /** The process the harness started: nuwsgi's master, uWSGI's master, gunicorn's arbiter, nginx's master. */
  pid: number;
  /** Its processes by group (nginx, master, workers...), for the CPU time per request. */
  processes(): ProcessGroups;
  stop(): Promise<unknown>;
}

/** What runs behind nginx. */
export type Backend = Omit<Server, 'url'>;

export interface Contender {
  name: string;
  /** The programs it runs, with the Debian package of each (checked before a run starts). */
  needs: Record<string, string>;
  start(setup: Setup): Promise<Server>;
  /** Why it cannot run with this checkout (e.g. an option nuwsgi does not have yet), or undefined if it can. */
  unavailable?(): string | undefined;
}

export const appFile = (setup: Setup) => path.join(appsDir, `${setup.app}.py`);

export function program(name: string): string {
  const file = findExecutable(name);
  if (file === undefined) throw new Error(`${name} is not installed`);
  return file;
}

/**
 * Runs a server in a process group of its own; resolves once it accepts connections on `target`.
 * Stopping sends SIGTERM, and SIGKILL to the group after 10 s.
 */
export async function startProcess(group: string, command: string, args: string[], target: ConnectTarget,
  env?: Record<string, string>): Promise<Backend> {
  const proc = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'], detached: true, cwd: repoRoot, env: { ...process.env, ...env },
  });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => { log = (log + c.toString('utf8')).slice(-4000); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  const stop = async () => {
    if (!gone()) proc.kill('SIGTERM');
    if ((await within(exited, 10_000)) === null) {
      process.kill(-proc.pid!, 'SIGKILL');
      await exited;
    }
  };
  try {
    await waitForListener(target, 30_000, gone);
  } catch (err) {
    await stop();
    throw new Error(`${path.basename(command)} did not start: ${(err as Error).message}\n${log}`);
  }
  return { pid: proc.pid!, processes: () => ({ [group]: processTree(proc.pid!) }), stop };
}

/** startProcess for a server that listens on 127.0.0.1:port. */
export async function startListening(group: string, command: string, args: string[], port: number,
  env?: Record<string, string>): Promise<Server> {
  return { url: `http://127.0.0.1:${port}`, ...await startProcess(group, command, args, { port, host: '127.0.0.1' }, env) };
}

/** nuwsgi's master, and its Python processes: the workers, and the zygote they were forked from (its children). */
export const nuwsgiProcesses = (master: number): ProcessGroups => ({ master: [master], workers: processTree(master).slice(1) });

/** No request log: what every contender runs with, but the logging scenario's. */
export const NO_REQUEST_LOG = ['--disable-logging'];

/** nuwsgi's options for the app, whatever its listener. All contenders run /usr/bin/python3. */
export function nuwsgiArgs(setup: Setup, logging = NO_REQUEST_LOG): string[] {
  return ['--wsgi-file', appFile(setup), '--processes', String(setup.processes), '--threads', String(setup.threads),
    '--home', '/usr', ...logging, '--listen', '1024'];
}

/** uWSGI's options for the app, whatever its listener (`--threads` only when more than one, as uWSGI then changes mode). */
export function uwsgiArgs(setup: Setup, logging = NO_REQUEST_LOG): string[] {
  return ['--wsgi-file', appFile(setup), '--master', '--processes', String(setup.processes),
    ...(setup.threads > 1 ? ['--threads', String(setup.threads)] : []),
    ...logging, '--die-on-term', '--need-app', '--listen', '1024'];
}

export async function uwsgiHttp(setup: Setup, listener: string[], logging = NO_REQUEST_LOG): Promise<Server> {
  const port = await freePort();
  return startListening('uWSGI', program('uwsgi'), ['--plugin', 'python3,http', ...listener.map((a) => a.replace('PORT', String(port))),
    ...uwsgiArgs(setup, logging)], port, setup.env);
}

/**
 * nginx on a free port in front of `backend` (started on a unix socket in setup.dir); with `tls`,
 * nginx terminates TLS there (HTTP/1.1, and h2 by ALPN) with that certificate.
 */
export async function behindNginx(setup: Setup, backend: (socket: string) => Promise<Backend>, tls?: CertFiles): Promise<Server> {
  const socket = path.join(setup.dir, `backend-${Date.now()}.sock`);
  const app = await backend(socket);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(setup.dir, 'nginx-'));
  const site = ['access_log off;', 'client_max_body_size 2m;',
    ...(tls === undefined ? [] : [`ssl_certificate ${tls.cert};`, `ssl_certificate_key ${tls.key};`, 'ssl_protocols TLSv1.2 TLSv1.3;'])];
  try {
    // h2's 500 streams in flight are as many connections to the backend, on top of the clients'
    const nginx = await startNginx(program('nginx'), {
      dir, port, workerConnections: 1024, http: uwsgiSite({ port, pass: `unix:${socket}`, server: site.join('\n'), ...(tls === undefined ? {} : { listenOptions: 'ssl http2' }) }),
    });
    return {
      url: tls === undefined ? nginx.url : overTls(nginx.url),
      pid: nginx.pid,
      processes: () => ({ nginx: processTree(nginx.pid), ...app.processes() }),
      stop: async () => { await nginx.stop(); await app.stop(); },
    };
  } catch (err) {
    await app.stop();
    throw err;
  }
}

/** uWSGI on the unix socket `socket`, with the app's options: what nginx's uwsgi_pass reaches. */
export async function uwsgiBackend(setup: Setup, socket: string): Promise<Backend> {
  const uwsgi = await startUwsgiOracle(program('uwsgi'), { socket, wsgiFile: appFile(setup), args: uwsgiArgs(setup) });
  return { pid: uwsgi.pid, processes: () => ({ uWSGI: processTree(uwsgi.pid) }), stop: () => uwsgi.stop() };
}

/** A server's http:// URL as https://, for a listener that speaks TLS. */
export const overTls = (url: string) => url.replace(/^http:/, 'https:');

export const NGINX = { nginx: 'nginx' };
export const UWSGI = { uwsgi: 'uwsgi uwsgi-plugin-python3' };
export const GUNICORN = { gunicorn: 'gunicorn' };
