// Applies the option events of every reader, in order, and builds the Config the master runs with.
// This is where values are validated (once, at load) and where options are checked against each
// other.
import { AddressList } from './address-list.ts';
import type { Config, Mount } from './config.ts';
import { noApplication, noListener, twoApplications } from './errors.ts';
import type { OptionEvent, Origin } from './events.ts';
import type { OptionSpec } from './option-spec.ts';
import { findOption } from './options.ts';
import { convertValue, valueText } from './values.ts';

export function resolveConfig(events: readonly OptionEvent[]): Config {
  const given = new GivenOptions();
  for (const event of events) given.apply(event);

  const wsgiFile = given.string('wsgi-file');
  const module = given.string('module');
  const mounts = given.list('mount').map(parseMount);
  if (wsgiFile === undefined && module === undefined && mounts.length === 0) throw noApplication();
  if (wsgiFile !== undefined && module !== undefined) {
    throw twoApplications(given.origin('wsgi-file'), given.origin('module'));
  }
  const http = given.list('http');
  const socket = given.list('socket');
  const uwsgiSocket = given.list('uwsgi-socket');
  const httpSocket = given.list('http-socket');
  if (http.length + socket.length + uwsgiSocket.length + httpSocket.length === 0) throw noListener();

  return {
    http,
    socket,
    uwsgiSocket,
    httpSocket,
    protocol: given.stringWithDefault('protocol') === 'http' ? 'http' : 'uwsgi',
    listen: given.number('listen'),
    chmodSocket: socketMode(given.string('chmod-socket')),
    chownSocket: given.string('chown-socket'),
    vacuum: given.flag('vacuum'),
    socketTimeout: given.number('socket-timeout'),
    uwsgiAllow: new AddressList(given.list('uwsgi-allow')),
    trustedProxies: new AddressList(given.list('trusted-proxy')),
    uid: given.string('uid'),
    gid: given.string('gid'),
    wsgiFile,
    module,
    callable: given.stringWithDefault('callable'),
    mounts,
    manageScriptName: given.flag('manage-script-name'),
    processes: given.number('processes'),
    threads: given.number('threads'),
    gevent: given.number('gevent'),
    async: given.number('async'),
    master: given.flag('master'),
    chdir: given.string('chdir'),
    chdir2: given.string('chdir2'),
    home: given.string('home'),
    pythonpath: given.list('pythonpath'),
    env: given.list('env'),
    bufferSize: given.number('buffer-size'),
    limitPost: given.number('limit-post'),
    postBuffering: given.number('post-buffering'),
    disableLogging: given.flag('disable-logging'),
    catchExceptions: given.flag('catch-exceptions'),
    workerReloadMercy: given.number('worker-reload-mercy'),
    httpKeepalive: keepaliveTimeout(given),
    forkbombDelay: given.number('forkbomb-delay'),
    pyAutoreload: given.number('py-autoreload'),
    harakiri: given.number('harakiri'),
    harakiriVerbose: given.flag('harakiri-verbose'),
    harakiriGracefulTimeout: given.number('harakiri-graceful-timeout'),
    harakiriGracefulSignal: given.number('harakiri-graceful-signal'),
    maxRequests: given.number('max-requests'),
    maxRequestsDelta: given.number('max-requests-delta'),
    maxRequestsJitter: given.number('max-requests-jitter'),
    minWorkerLifetime: given.number('min-worker-lifetime'),
    maxWorkerLifetime: given.number('max-worker-lifetime'),
    maxWorkerLifetimeDelta: given.number('max-worker-lifetime-delta'),
    reloadOnRss: given.number('reload-on-rss'),
    checkInterval: Math.max(1, given.number('check-interval')),
    touchReload: given.list('touch-reload'),
    touchChainReload: given.list('touch-chain-reload'),
    touchWorkersReload: given.list('touch-workers-reload'),
    masterFifo: given.list('master-fifo'),
    pidfile: given.string('pidfile'),
    pidfile2: given.string('pidfile2'),
    daemonize: given.string('daemonize'),
    logto: given.string('logto'),
    options: given.asWritten,
  };
}

/** `MOUNTPOINT=APP`, split at the first '=' (the option's pattern guarantees there is one). */
function parseMount(text: string): Mount {
  const eq = text.indexOf('=');
  return { mountpoint: text.slice(0, eq), app: text.slice(eq + 1) };
}

/**
 * uWSGI reads http-keepalive as 0 = off, 1 = on (a bare --http-keepalive is 1), N > 1 = the idle
 * timeout in seconds. nuwsgi keeps connections alive by default, so "on" means the default timeout.
 */
function keepaliveTimeout(given: GivenOptions): number {
  const seconds = given.number('http-keepalive');
  return seconds === 1 ? tableEntry('http-keepalive', 'int').default : seconds;
}

/** chmod-socket: three octal digits, or uWSGI's `1` for 666 (a bare --chmod-socket reads as 666). */
function socketMode(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return text === '1' ? 0o666 : parseInt(text, 8);
}

/** The options given so far, by canonical name; single-valued ones keep the last value. */
class GivenOptions {
  /** For `uwsgi.opt`: flags as booleans, lists as arrays, everything else as written. */
  readonly asWritten: Record<string, string | boolean | string[]> = {};
  private readonly scalars = new Map<string, boolean | number | string>();
  private readonly lists = new Map<string, string[]>();
  private readonly origins = new Map<string, Origin>();

  apply(event: OptionEvent): void {
    const { name, kind } = event.option;
    const value = convertValue(event);
    this.origins.set(name, event.origin);
    if (kind === 'list') {
      const list = [...(this.lists.get(name) ?? []), valueText(event)];
      this.lists.set(name, list);
      this.asWritten[name] = [...list];
    } else {
      this.scalars.set(name, value);
      this.asWritten[name] = typeof value === 'boolean' ? value : valueText(event);
    }
  }

  /** Where the last occurrence of an option that was given came from. */
  origin(name: string): Origin {
    const origin = this.origins.get(name);
    if (origin === undefined) throw new Error(`--${name} was not given`);
    return origin;
  }

  flag(name: string): boolean {
    const value = this.scalars.get(name);
    return typeof value === 'boolean' ? value : tableEntry(name, 'flag').default;
  }

  number(name: string): number {
    const value = this.scalars.get(name);
    return typeof value === 'number' ? value : tableEntry(name, 'int', 'size').default;
  }

  string(name: string): string | undefined {
    const value = this.scalars.get(name);
    return typeof value === 'string' ? value : tableEntry(name, 'string').default;
  }

  /** For string options whose table entry has a default, so there is always a value. */
  stringWithDefault(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new Error(`--${name} has no default in the option table`);
    return value;
  }

  list(name: string): string[] {
    return [...(this.lists.get(name) ?? tableEntry(name, 'list').default)];
  }
}

/** The table entry for `name`, which the code reading it expects to be of one of `kinds`. */
function tableEntry<K extends OptionSpec['kind']>(name: string, ...kinds: K[]): OptionSpec & { kind: K } {
  const option = findOption(name);
  if (option === undefined || !(kinds as string[]).includes(option.kind)) {
    throw new Error(`option table has no ${kinds.join('/')} option --${name}`);
  }
  return option as OptionSpec & { kind: K };
}
