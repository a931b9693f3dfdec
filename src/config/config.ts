// The resolved configuration the master runs with. It is produced from the option table
// (options.ts) by the readers (argv, UWSGI_* environment variables, ini/json/yaml files): every
// field but `options` is filled by the one table entry whose `field` names it, which options.ts
// checks at compile time, so a field added here needs its option there (and the other way round).
import type { AddressList } from './address-list.ts';
import type { LogFormat } from './log-format.ts';

export interface Config {
  /** `--http ADDR` listeners speaking HTTP/1.1 (`:8000`, `127.0.0.1:8000`, `[::1]:8000`). */
  http: string[];
  /** `--socket`/`-s ADDR` listeners speaking `protocol` (TCP, a unix socket path or `@abstract`). */
  socket: string[];
  /** `--uwsgi-socket ADDR` listeners speaking the uwsgi protocol. */
  uwsgiSocket: string[];
  /** `--http-socket ADDR` listeners speaking HTTP/1.1. */
  httpSocket: string[];
  /** `--https ADDR,CERT,KEY[,CIPHERS[,CA]]` listeners speaking HTTP/1.1 over TLS. */
  https: HttpsListenerSpec[];
  /** `--https-socket`: the same, documented for unix sockets too. */
  httpsSocket: HttpsListenerSpec[];
  /** `--http-to-https ADDR[,PORT]`: HTTP listeners answering every request with a 301 to its https:// URL. */
  httpToHttps: HttpsRedirectSpec[];
  /** `--https-export-cert`: the client's certificate, as PEM, in HTTPS_CC and HTTPS_CLIENT_CERTIFICATE. */
  httpsExportCert: boolean;
  /** `--https-session-context`: the TLS session id context; undefined for one per listener. */
  httpsSessionContext: string | undefined;
  /** `--ssl-sessions-timeout`: seconds a TLS session may be resumed (default 300). */
  sslSessionsTimeout: number;
  /** `--https-handshake-timeout`: seconds a TLS handshake may take (default 10). */
  httpsHandshakeTimeout: number;
  /** `--ssl-verbose`: log every failed TLS handshake, with OpenSSL's reason. */
  sslVerbose: boolean;
  /** `--protocol`/`--socket-protocol`: what `--socket` listeners speak (default uwsgi). */
  protocol: 'uwsgi' | 'http';
  /** `--listen`/`-l`: the backlog of every listener (default 100). */
  listen: number;
  /** `--chmod-socket`/`-C`: the mode given to unix socket files; undefined leaves the umask's. */
  chmodSocket: number | undefined;
  /** `--chown-socket USER[:GROUP]`: the owner given to unix socket files (names or numbers). */
  chownSocket: string | undefined;
  /** `--vacuum`: remove the unix socket files on exit. */
  vacuum: boolean;
  /** `--socket-timeout`/`-z`: seconds a uwsgi connection gets for its head and each wait for its body (default 4). */
  socketTimeout: number;
  /** `--http-timeout`: seconds an HTTP/1.1 client gets to send a complete request head (default 60). */
  httpTimeout: number;
  /** `--uwsgi-allow`: peers that may connect to TCP uwsgi sockets (default loopback). */
  uwsgiAllow: AddressList;
  /** `--trusted-proxy`: peers whose X-Forwarded-For / X-Forwarded-Proto are believed (default none). */
  trustedProxies: AddressList;
  /** `--http2`: offer h2 by ALPN on the TLS listeners (default on). */
  http2: boolean;
  /** `--http2-cleartext`: also serve HTTP/2 with prior knowledge (h2c) on the plain HTTP listeners (default off). */
  http2Cleartext: boolean;
  /** `--http2-max-concurrent-streams`: the streams one HTTP/2 connection may have open at once (default 100). */
  http2MaxConcurrentStreams: number;
  /** `--http2-idle-timeout`: seconds an HTTP/2 connection may stay without an open stream (default 75). */
  http2IdleTimeout: number;
  /** `--http2-settings-timeout`: seconds for the client's preface and SETTINGS acknowledgement (default 10). */
  http2SettingsTimeout: number;
  /** `--http2-stream-timeout`: seconds a stream may wait on its client, for body or window (default 60). */
  http2StreamTimeout: number;
  /** `--http2-max-resets`: streams a client may reset per second on one connection (default 100). */
  http2MaxResets: number;
  /** `--uid`: the user (name or number) to run as once the listeners are bound. */
  uid: string | undefined;
  /** `--gid`: the group (name or number) to run as once the listeners are bound. */
  gid: string | undefined;
  /** `--wsgi-file FILE`: a Python file loaded as a module. */
  wsgiFile: string | undefined;
  /** `--module`/`-w`/`--wsgi`: `pkg.mod`, `pkg.mod:callable` or `pkg.mod:factory()`. */
  module: string | undefined;
  /** `--callable`: the name looked up in the module or file (default `application`). */
  callable: string;
  /** `--mount MOUNTPOINT=APP`: more apps, each a .py/.wsgi file or `pkg.mod[:callable]`, in order. */
  mounts: Mount[];
  /** `--manage-script-name`: pick the mount by PATH_INFO's prefix and move the prefix to SCRIPT_NAME. */
  manageScriptName: boolean;
  /** `--processes`/`-p`/`--workers`: number of Python worker processes (default 1). */
  processes: number;
  /** `--threads`: requests a worker runs at once in threads (default 1; see master/mode.ts). */
  threads: number;
  /** `--gevent N`: run the workers under gevent with N greenlets each; 0 (default) is off. */
  gevent: number;
  /** `--async N`: async cores per worker, run as threads; 0 or 1 (default 0) is off. */
  async: number;
  /** `--master`/`-M`. The Node process is always the master; this only sets uwsgi.masterpid(). */
  master: boolean;
  /** `--chdir DIR`: the master and the workers run in DIR. */
  chdir: string | undefined;
  /** `--chdir2 DIR`: the workers change to DIR once their apps are loaded. */
  chdir2: string | undefined;
  /** `--home`/`-H`/`--virtualenv`/`--venv`/`--pyhome`: a virtualenv whose interpreter runs the workers. */
  home: string | undefined;
  /** `--pythonpath`/`--python-path`/`--pp`: directories (globs allowed) prepended to sys.path. */
  pythonpath: string[];
  /** `--env K=V`: environment variables set for the workers (and the master). */
  env: string[];
  /** `--buffer-size`/`-b`: the largest request head accepted, in bytes (default 4096). */
  bufferSize: number;
  /** `--http-max-headers`: the most header fields an HTTP request may have (default 100); more get 431. */
  httpMaxHeaders: number;
  /** `--limit-post`: the largest request body accepted, in bytes; 0 (default) is no limit. */
  limitPost: number;
  /** `--post-buffering`: receive bodies before dispatch, in memory up to this many bytes; 0 (default) streams them. */
  postBuffering: number;
  /** `--static-map MOUNTPOINT=PATH`: files under PATH (a directory or a file) serve requests under MOUNTPOINT. */
  staticMap: StaticMapping[];
  /** `--static-map2 MOUNTPOINT=DIR`: the whole PATH_INFO, mountpoint included, is looked up under DIR. */
  staticMap2: StaticMapping[];
  /** `--check-static DIR`: DIR + PATH_INFO is served when it is a file, for any request. */
  checkStatic: string[];
  /** `--static-index NAME`: files tried, in order, for a request naming a static directory. */
  staticIndex: string[];
  /** `--static-skip-ext SUFFIX`: static files whose name ends so go to the app instead. */
  staticSkipExt: string[];
  /** `--static-safe DIR`: directories a static file may lead to through symlinks, outside its mount. */
  staticSafe: string[];
  /** `--mime-file FILE`: mime.types files (default /etc/mime.types); mime-db fills what they lack. */
  mimeFile: string[];
  /** The static-expires family: an Expires header from now (or from the file's mtime) by real path, URI, PATH_INFO or type. */
  staticExpires: ExpiresByPattern[];
  staticExpiresMtime: ExpiresByPattern[];
  staticExpiresUri: ExpiresByPattern[];
  staticExpiresUriMtime: ExpiresByPattern[];
  staticExpiresPathInfo: ExpiresByPattern[];
  staticExpiresPathInfoMtime: ExpiresByPattern[];
  staticExpiresType: ExpiresByType[];
  staticExpiresTypeMtime: ExpiresByType[];
  /** The static-gzip family: which static files are served from a `.br` or `.gz` sibling the client accepts. */
  staticGzip: string[];
  staticGzipAll: boolean;
  staticGzipDir: string[];
  staticGzipExt: string[];
  /** `--add-header "Name: value"`: headers added to every response, as a flat [name, value, ...] list. */
  addHeader: string[];
  /** `--file-serve-mode`: send static files (raw, the default), or name them in X-Sendfile / X-Accel-Redirect. */
  fileServeMode: FileServeMode;
  /** `--static-cache-paths`: seconds a static file looked up is trusted before its next stat (default 1). */
  staticCachePaths: number;
  /** `--static-cache-size`: bytes of static files kept in memory (default 64 MiB); 0 keeps none. */
  staticCacheSize: number;
  /** `--static-cache-max-file`: the largest static file kept in memory (default 1 MiB). */
  staticCacheMaxFile: number;
  /** `--disable-logging`/`-L`: no request log lines. */
  disableLogging: boolean;
  /** `--catch-exceptions`: show the traceback in the body of a 500. */
  catchExceptions: boolean;
  /** `--worker-reload-mercy`: seconds in-flight requests get to finish on shutdown (default 60). */
  workerReloadMercy: number;
  /** `--http-keepalive`: idle keep-alive timeout of HTTP connections, seconds (default 75). */
  httpKeepalive: number;
  /** `--forkbomb-delay`: seconds to wait before respawning when workers die in a loop (default 2). */
  forkbombDelay: number;
  /** `--py-autoreload`: seconds between the workers' scans of their modules' files; 0 (default) is off. */
  pyAutoreload: number;
  /** `--harakiri`: seconds a request may run before it gets 504 and its worker is replaced; 0 is off. */
  harakiri: number;
  /**
   * `--lazy-apps`: every worker is a fresh Python that imports the apps; without it (the default)
   * one zygote process per generation imports them and forks the workers (src/master/zygote.ts).
   */
  lazyApps: boolean;
  /** `--lazy`: the same as lazyApps for the workers. */
  lazy: boolean;
  /** `--harakiri-verbose`: log the harakiri'd worker's syscall and wchan. */
  harakiriVerbose: boolean;
  /** `--harakiri-graceful-timeout`: seconds between `harakiriGracefulSignal` and SIGKILL; 0 is off. */
  harakiriGracefulTimeout: number;
  /** `--harakiri-graceful-signal`: a signal number (default 15). */
  harakiriGracefulSignal: number;
  /** `--max-requests`, `--max-requests-delta`, `--max-requests-jitter`: recycle after N requests; 0 is off. */
  maxRequests: number;
  maxRequestsDelta: number;
  maxRequestsJitter: number;
  /** `--min-worker-lifetime`: seconds before the limits may replace a worker (default 60). */
  minWorkerLifetime: number;
  /** `--max-worker-lifetime`, `--max-worker-lifetime-delta`: recycle after N seconds; 0 is off. */
  maxWorkerLifetime: number;
  maxWorkerLifetimeDelta: number;
  /** `--reload-on-rss`: recycle a worker whose RSS exceeds this many MiB; 0 is off. */
  reloadOnRss: number;
  /** `--check-interval`: seconds between the master's checks (default 1). */
  checkInterval: number;
  /** `--touch-reload`, `--touch-chain-reload`, `--touch-workers-reload`: files watched for a reload. */
  touchReload: string[];
  touchChainReload: string[];
  touchWorkersReload: string[];
  /** `--master-fifo`: FIFOs the master reads one-letter commands from; the first is active. */
  masterFifo: string[];
  /** `--pidfile` (written before dropping privileges) and `--pidfile2` (after). */
  pidfile: string | undefined;
  pidfile2: string | undefined;
  /** `--daemonize FILE`: detach and log to FILE. */
  daemonize: string | undefined;
  /** `--logto FILE`: log to FILE instead of stderr. */
  logto: string | undefined;
  /** `--log-format`: the request line's template, parsed at load (log-format.ts); undefined for uWSGI's default line. */
  logFormat: LogFormat | undefined;
  /** `--log-micros`: the default request line gives microseconds instead of milliseconds. */
  logMicros: boolean;
  /** `--log-4xx`, `--log-5xx`, `--log-slow MSECS`, `--log-big BYTES`, `--log-zero`: with disable-logging, the requests still logged. */
  log4xx: boolean;
  log5xx: boolean;
  logSlow: number;
  logBig: number;
  logZero: boolean;
  /** `--log-x-forwarded-for`: the address logged is a trusted proxy's X-Forwarded-For. */
  logXForwardedFor: boolean;
  /** `--log-date[=STRFTIME]`: prefix the master's lines with the date; '' for ctime's form; undefined: off. */
  logDate: string | undefined;
  /** `--log-prefix TEXT`: prefix the master's lines with TEXT (wins over logDate). */
  logPrefix: string | undefined;
  /** `--log-encoder json`: every log line as a JSON object. */
  logEncoder: 'json' | undefined;
  /** `--stats ADDR`: where the stats server listens; undefined for none. */
  stats: string | undefined;
  /** `--stats-http`: the stats server speaks HTTP. */
  statsHttp: boolean;
  /** `--stats-minified`: the stats JSON on one line. */
  statsMinified: boolean;
  /** `--stats-no-cores`: no `cores` in the stats JSON. */
  statsNoCores: boolean;
  /** `--metrics ADDR`: where the Prometheus endpoint listens; undefined for none. */
  metrics: string | undefined;
  /** Every option as given after resolution, by canonical name, for `uwsgi.opt` and `--show-config`. */
  options: Record<string, string | boolean | string[]>;
}

/** The fields the option table fills, one entry each: all but `options`, the record of every option. */
export type ConfigField = Exclude<keyof Config, 'options'>;

/** One `--mount`: the app (a .py/.wsgi file or `pkg.mod[:callable]`) serving `mountpoint`. */
export interface Mount {
  mountpoint: string;
  app: string;
}

/** One `--https` or `--https-socket`, split at its commas. */
export interface HttpsListenerSpec {
  /** The value as given, for messages. */
  spec: string;
  address: string;
  /** The PEM certificate file (the chain after the certificate) and the PEM key file. */
  cert: string;
  key: string;
  /** An OpenSSL cipher list; undefined for node's default. */
  ciphers: string | undefined;
  /** The PEM file of the CAs client certificates are checked against (without uWSGI's `!`). */
  ca: string | undefined;
  /** No CA: none asked for; CA: asked for, checked when given; `!CA`: required. */
  clientCertificate: 'none' | 'optional' | 'required';
}

/** One `--http-to-https ADDR[,PORT]`. */
export interface HttpsRedirectSpec {
  spec: string;
  address: string;
  /** The port put in the https:// URL; undefined keeps the client's host without a port. */
  port: string | undefined;
}

/** One `--static-map` or `--static-map2`. */
export interface StaticMapping {
  mountpoint: string;
  path: string;
}

/** A static-expires rule by regular expression: `pattern` is matched, the file expires `seconds` later. */
export interface ExpiresByPattern {
  pattern: string;
  seconds: number;
}

/** A static-expires-type rule: files of Content-Type `type` expire `seconds` later. */
export interface ExpiresByType {
  type: string;
  seconds: number;
}

/** How static files are answered: sent by nuwsgi, or named in a header for the front server to send. */
export type FileServeMode = 'raw' | 'x-sendfile' | 'x-accel-redirect';

/** What the command line asked for besides running the server. */
export type Command =
  /** Run the server. `warnings` are to be logged first (unknown keys, missing sections...). */
  | { kind: 'serve'; config: Config; warnings: string[] }
  /**
   * `check`/`--check`: print `warnings` to stderr, then check `config` as start-up would, without
   * starting; `files` are the configuration files read (absolute), whose deployed files are checked too.
   */
  | { kind: 'check'; config: Config; warnings: string[]; files: string[] }
  /** `--show-config`: print `warnings` to stderr, `text` to stdout, exit 0. */
  | { kind: 'show-config'; text: string; warnings: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  /** `nuwsgi top ...`: the live view of a stats server, given the arguments after `top` (src/top/ reads them). */
  | { kind: 'top'; args: string[] }
  /** `nuwsgi init ...`: write the deployment files of an app, given the arguments after `init` (src/init/ reads them). */
  | { kind: 'init'; args: string[] }
  /** `--reload PIDFILE` and `--stop PIDFILE`: signal the master whose pid is in `pidfile`, then exit. */
  | { kind: 'signal'; pidfile: string; signal: 'SIGHUP' | 'SIGTERM' };
