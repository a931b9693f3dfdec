// Every socket the master binds, from the configuration: the HTTP listeners it serves itself
// (--http, --http-socket, --socket with --protocol=http; over TLS --https, --https-socket; and the
// --http-to-https redirects), and the uwsgi sockets (--socket, --uwsgi-socket) that the workers
// inherit and accept on. The HTTPS listeners' certificates are loaded before anything is bound
// (certificatesOf: `nuwsgi check` runs it too). Bound in that option order, with listen
// (checked against the kernel's limit, as uWSGI does), chmod-socket and chown-socket, once every
// address and those values are known to be good (wantedListeners, bindOptions: `nuwsgi check`
// runs them too). A listener whose address is a socket systemd passed takes it instead of binding
// (socket activation: ../listeners/inherited.ts).
import fs from 'node:fs';
import v8 from 'node:v8';
import type { Config, HttpsListenerSpec } from '../config/config.ts';
import { parseSocketAddress, type SocketAddress } from '../listeners/address.ts';
import type { BindOptions, BoundSocket } from '../listeners/bind.ts';
import type { H2Options } from '../listeners/h2.ts';
import { HttpListener, type HttpsPiece } from '../listeners/http.ts';
import { HttpsRedirect } from '../listeners/https-redirect.ts';
import type { Certificates, TlsSettings } from '../listeners/tls.ts';
import { InheritedSockets, type ListenEnvironment } from '../listeners/inherited.ts';
import { bindWorkerSocket, type WorkerSocket } from '../listeners/worker-sockets.ts';
import { log } from '../observe/log.ts';
import type { Router } from '../router/router.ts';
import { socketOwner } from './privileges.ts';
import { socketInode, tcpListenQueues } from './stats/listen-queue.ts';
import type { SocketStats } from './stats/stats-json.ts';
import { StartupError } from './startup-error.ts';

export class ListenerSet {
  /** The HTTP listeners: the master accepts their connections. */
  readonly http: HttpListener[] = [];
  /** The uwsgi sockets: the workers accept on them. */
  readonly uwsgi: WorkerSocket[] = [];
  /** Everything bound, for vacuum. */
  private readonly bound: BoundSocket[] = [];
  /** Everything bound, for the stats: what it speaks, and the descriptor of a uwsgi socket. */
  private readonly kinds: Array<{ proto: 'http' | 'uwsgi'; fd: number | undefined }> = [];
  private closed: Promise<unknown> | undefined;
  private readonly config: Config;
  /** Where the HTTP listeners send their requests, and where the redirects report theirs. */
  private readonly router: Router;

  /** The sockets systemd passed (socket activation), if any. */
  private readonly passed: ListenEnvironment | undefined;

  constructor(config: Config, router: Router, passed?: ListenEnvironment) {
    this.config = config;
    this.router = router;
    this.passed = passed;
  }

  /** Binds every listener of the configuration; `python` is the workers' interpreter. Throws StartupError. */
  async bind(python: string): Promise<void> {
    const wanted = wantedListeners(this.config);
    const bindWith = bindOptions(this.config);
    const certificates = await certificatesOf(wanted.listeners);
    const [problem] = [...bindWith.problems, ...wanted.problems, ...certificates.problems];
    if (problem !== undefined) throw problem;
    // bin/nuwsgi.js holds V8's young generation at its first size, which costs plain HTTP nothing.
    // node:tls and node:http2 allocate more per request, and for longer (an h2 stream lives across
    // several turns of the loop): with it held, GC took 34% of the master's time in the h2 bench
    // against 15%. With an HTTPS or h2c listener it grows again as V8's default has it (a factor of 2).
    if (certificates.loaded.size > 0 || this.config.http2Cleartext) v8.setFlagsFromString('--semi-space-growth-factor=2');
    const inherited = this.passed === undefined ? undefined : new InheritedSockets(this.passed, python);
    for (const listener of wanted.listeners) {
      const { protocol } = listener;
      const options = { ...bindWith.options, inherited: await inherited?.take(listener.address) };
      let bound;
      try {
        bound = protocol === 'http'
          ? await this.bindHttp(listener, options, certificates.loaded.get(listener))
          : await this.bindUwsgi(listener.address, options, python);
      } catch (err) {
        throw cannotListen(listener, err);
      }
      this.bound.push(bound);
      this.kinds.push({ proto: protocol, fd: protocol === 'uwsgi' ? this.uwsgi[this.uwsgi.length - 1].fd : undefined });
      log(listeningLine(listener, bound.label));
    }
    inherited?.logUnused();
  }

  /** Every HTTPS listener reads its certificate files again (a reload): see TlsFront.reload. */
  reloadCertificates(): void {
    for (const listener of this.http) listener.reloadCertificates();
  }

  /** Every listener bound, as logged. */
  get labels(): string[] {
    return this.bound.map((bound) => bound.label);
  }

  /**
   * Each listener as the stats show it: a uwsgi socket's queue is its kernel backlog (TCP only:
   * listen-queue.ts); an HTTP listener's is `queued`, the requests waiting in the master.
   */
  socketStats(queued: number): SocketStats[] {
    const tcpQueues = this.kinds.some((kind) => kind.fd !== undefined) ? tcpListenQueues() : new Map<string, number>();
    return this.bound.map((bound, index) => {
      const { proto, fd } = this.kinds[index];
      const inode = fd === undefined ? undefined : socketInode(fd);
      const queue = proto === 'http' ? queued : (inode === undefined ? 0 : tcpQueues.get(inode) ?? 0);
      return { name: bound.label, proto, queue, maxQueue: this.config.listen };
    });
  }

  /** The HTTP listeners stop accepting; resolves once every connection has closed (each after its response). */
  close(): Promise<unknown> {
    this.closed ??= Promise.all(this.http.map((listener) => listener.close()));
    return this.closed;
  }

  /** Drops every connection of the HTTP listeners (after the mercy timeout). */
  dropConnections(): void {
    for (const listener of this.http) listener.closeAll();
  }

  /** Closes everything: connections left, the uwsgi sockets; with vacuum, the unix socket files too. */
  release(vacuum: boolean): void {
    void this.close();
    this.dropConnections();
    for (const socket of this.uwsgi) socket.close();
    if (vacuum) for (const bound of this.bound) bound.removeFile();
  }

  private async bindHttp(wanted: WantedListener, bindOptions: BindOptions, certificates: Certificates | undefined): Promise<BoundSocket> {
    const config = this.config;
    const https: HttpsPiece | undefined = wanted.tls === undefined || certificates === undefined
      ? undefined : { settings: wanted.tls, certificates, h2: config.http2 ? h2OptionsFrom(config) : undefined };
    const handler = wanted.redirect === undefined ? this.router : new HttpsRedirect(wanted.redirect.port, this.router.answeredElsewhere);
    const listener = new HttpListener(wanted.address, handler, {
      maxHeadSize: config.bufferSize,
      maxHeaders: config.httpMaxHeaders,
      keepAliveTimeoutMs: config.httpKeepalive * 1000,
      headTimeoutMs: config.httpTimeout * 1000,
      trustedProxies: config.trustedProxies,
      addHeaders: config.addHeader,
      // h2c is for the listeners that serve the app: an --http-to-https one only redirects
      cleartextH2: config.http2Cleartext && wanted.tls === undefined && wanted.redirect === undefined ? h2OptionsFrom(config) : undefined,
    }, https);
    const bound = await listener.listen(bindOptions);
    this.http.push(listener);
    return bound;
  }

  private async bindUwsgi(address: SocketAddress, bindOptions: BindOptions, python: string): Promise<BoundSocket> {
    const socket = await bindWorkerSocket(address, bindOptions, python);
    this.uwsgi.push(socket);
    return socket;
  }
}

/** The HTTP/2 settings of the TLS listeners (and, with http2-cleartext, the plain ones), from the http2-* options, buffer-size and http-max-headers. */
export function h2OptionsFrom(config: Config): H2Options {
  return {
    maxConcurrentStreams: config.http2MaxConcurrentStreams,
    maxHeaders: config.httpMaxHeaders,
    maxHeadSize: config.bufferSize,
    idleTimeoutMs: config.http2IdleTimeout * 1000,
    settingsTimeoutMs: config.http2SettingsTimeout * 1000,
    streamTimeoutMs: config.http2StreamTimeout * 1000,
    maxResetsPerSecond: config.http2MaxResets,
    addHeaders: config.addHeader,
  };
}

/** A listener the configuration asks for: its option, its address as given and as parsed, what it speaks. */
export interface WantedListener {
  option: string;
  /** The option's value as given (for an HTTPS listener, the whole ADDR,CERT,KEY...). */
  spec: string;
  address: SocketAddress;
  protocol: 'http' | 'uwsgi';
  /** An HTTPS listener's TLS. */
  tls?: TlsSettings;
  /** An --http-to-https listener: the port of the https:// URLs it answers with, if one was given. */
  redirect?: { port: string | undefined };
}

/**
 * The listeners of the configuration in option order: those whose address is well formed, and a
 * problem for each of the others.
 */
export function wantedListeners(config: Config): { listeners: WantedListener[]; problems: StartupError[] } {
  const https = (option: string, specs: HttpsListenerSpec[]) => specs.map((spec) =>
    ({ option, spec: spec.spec, address: spec.address, protocol: 'http' as const, tls: tlsSettings(config, option, spec) }));
  const given: Array<Omit<WantedListener, 'address'> & { address?: string }> = [
    ...config.http.map((spec) => ({ option: 'http', spec, protocol: 'http' as const })),
    ...config.httpSocket.map((spec) => ({ option: 'http-socket', spec, protocol: 'http' as const })),
    ...https('https', config.https),
    ...https('https-socket', config.httpsSocket),
    ...config.httpToHttps.map(({ spec, address, port }) =>
      ({ option: 'http-to-https', spec, address, protocol: 'http' as const, redirect: { port } })),
    ...config.socket.map((spec) => ({ option: 'socket', spec, protocol: config.protocol })),
    ...config.uwsgiSocket.map((spec) => ({ option: 'uwsgi-socket', spec, protocol: 'uwsgi' as const })),
  ];
  const listeners: WantedListener[] = [];
  const problems: StartupError[] = [];
  for (const { address, ...listener } of given) {
    try {
      listeners.push({ ...listener, address: parseSocketAddress(address ?? listener.spec) });
    } catch (err) {
      problems.push(new StartupError(`--${listener.option} ${(err as Error).message}`));
    }
  }
  return { listeners, problems };
}

/** An HTTPS listener's TLS settings: its option's fields and the TLS options shared by all. */
function tlsSettings(config: Config, option: string, spec: HttpsListenerSpec): TlsSettings {
  const named = `--${option} ${spec.spec}`;
  return {
    option: named,
    spec,
    sessionIdContext: config.httpsSessionContext,
    sessionTimeout: config.sslSessionsTimeout,
    handshakeTimeoutMs: config.httpsHandshakeTimeout * 1000,
    exportCert: config.httpsExportCert,
    verbose: config.sslVerbose,
  };
}

/**
 * The certificates of the HTTPS listeners among `listeners`, read and checked (tls.ts); a problem
 * for each that does not load, and the warnings of those that do (an expired certificate).
 */
export async function certificatesOf(listeners: readonly WantedListener[]):
  Promise<{ loaded: Map<WantedListener, Certificates>; problems: StartupError[]; warnings: string[] }> {
  const loaded = new Map<WantedListener, Certificates>();
  const problems: StartupError[] = [];
  const warnings: string[] = [];
  if (!listeners.some((listener) => listener.tls !== undefined)) return { loaded, problems, warnings };
  // imported only now: a master without an HTTPS listener never loads node:tls (see HttpListener)
  const { loadCertificates } = await import('../listeners/tls.ts');
  for (const listener of listeners) {
    if (listener.tls === undefined) continue;
    try {
      const certificates = loadCertificates(listener.tls);
      loaded.set(listener, certificates);
      warnings.push(...certificates.warnings);
    } catch (err) {
      problems.push(new StartupError((err as Error).message));
    }
  }
  return { loaded, problems, warnings };
}

/** The line that says a listener is bound, and what it speaks. */
function listeningLine(listener: WantedListener, label: string): string {
  if (listener.protocol === 'uwsgi') return `uwsgi listening on ${label}`;
  if (listener.redirect !== undefined) return `HTTP listening on ${label} (every request redirected to https)`;
  return `${listener.tls === undefined ? 'HTTP' : 'HTTPS'} listening on ${label}`;
}

/**
 * What every listener is bound with: listen (checked against the kernel's limit, as uWSGI does),
 * chmod-socket, chown-socket; and the problems of those values.
 */
export function bindOptions(config: Config): { options: BindOptions; problems: StartupError[] } {
  const problems: StartupError[] = [];
  const somaxconn = kernelListenLimit();
  if (somaxconn !== undefined && config.listen > somaxconn) {
    problems.push(new StartupError(`--listen ${config.listen}: the listen queue size is greater than the system maximum ` +
      `net.core.somaxconn (${somaxconn}): lower --listen, or raise net.core.somaxconn with sysctl`));
  }
  let owner;
  if (config.chownSocket !== undefined) {
    try {
      owner = socketOwner(config.chownSocket);
    } catch (err) {
      problems.push(new StartupError(`--chown-socket ${config.chownSocket}: ${(err as Error).message}`));
    }
  }
  return { options: { backlog: config.listen, mode: config.chmodSocket, owner }, problems };
}

/** Why `listener` cannot be bound: `err` is what binding it (or checking its address) rejected with. */
export function cannotListen(listener: WantedListener, err: unknown): StartupError {
  const e = err as NodeJS.ErrnoException;
  return new StartupError(`cannot listen on --${listener.option} ${listener.spec}: ${e.code ?? ''} ${e.message}`.replace('  ', ' '));
}

/** net.core.somaxconn, where the kernel tells (Linux). */
function kernelListenLimit(): number | undefined {
  try {
    const value = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isSafeInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
