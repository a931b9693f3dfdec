// The scenarios `npm run bench` runs, in order. Each starts its contenders, warms each up once,
// measures them in interleaved rounds, and stops them.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { tempDir, waitFor } from '../test/helpers/wire.ts';
import { contenders, type ContenderId, type Server, type Setup } from './contenders.ts';
import type { Contender } from './launch.ts';
import { interleave, wrk, type BenchOptions, type ContenderSamples, type Measurable, type Metric, type Sample, type Scenario } from './harness.ts';
import { withCpu, type CpuWindow } from './cpu.ts';
import { downloadScenario } from './download.ts';
import { h2load } from './h2load.ts';
import { memoryScenario, respawnScenario } from './memory.ts';
import { slowClients } from './slow-clients.ts';
import { tlsContenders } from './tls-contenders.ts';
import { negotiate, type Negotiated } from './tls-probe.ts';
import { transferScenario } from './transfer.ts';

const rps: Metric = { key: 'rps', label: 'throughput', unit: 'req/s', better: 'higher', decimals: 0 };
const p50: Metric = { key: 'p50', label: 'p50 latency', unit: 'ms', better: 'lower', decimals: 2 };
const p99: Metric = { key: 'p99', label: 'p99 latency', unit: 'ms', better: 'lower', decimals: 2 };
const errors: Metric = { key: 'errors', label: 'errors', unit: '', better: 'lower', decimals: 0, total: true };
const busy: Metric = { key: 'busy', label: 'connections served (≈ req/s × mean latency)', unit: '', better: 'higher', decimals: 0 };
const cpu: Metric = { key: 'cpu', label: 'server CPU per request', unit: 'µs', better: 'lower', decimals: 0 };
const mean: Metric = { key: 'mean', label: 'mean latency', unit: 'ms', better: 'lower', decimals: 2 };
const slow: Metric = { key: 'slow', label: 'slow connections open', unit: '', better: 'higher', decimals: 0 };

const STATIC_FILE = 'file-64k.bin';
const STATIC_BYTES = 64 * 1024;
const POST_BYTES = 1024 * 1024;

/** What a load is given besides the URL and the seconds. */
interface LoadContext {
  options: BenchOptions;
  /** The scenario's directory, for the files a load writes (a wrk script). */
  dir: string;
  /** In a TLS scenario, what the contender negotiated. */
  negotiated?: Negotiated;
  /** To tell the CPU time measurement when the counted part starts and ends, if not the whole load. */
  window?: CpuWindow;
}

/** How one round loads a contender, given its URL (path included). */
interface Load {
  describe(options: BenchOptions): string;
  measure(url: string, seconds: number, context: LoadContext): Promise<Sample>;
}

const wrkLoad = (connections: (o: BenchOptions) => number, script?: (dir: string) => string): Load => ({
  describe: (o) => `wrk -t1 -c${connections(o)}${script ? ' (POST, Lua script)' : ''}, ${o.rounds} interleaved round(s) of ${o.duration} s`,
  measure: (url, seconds, { options, dir }) => wrk(url, { connections: connections(options), seconds, script: script?.(dir) }),
});

/** A wrk script that POSTs a body of POST_BYTES. */
function postScript(dir: string): string {
  const file = path.join(dir, 'post.lua');
  fs.writeFileSync(file, `wrk.method = "POST"\nwrk.body = string.rep("a", ${POST_BYTES})\n` +
    'wrk.headers["Content-Type"] = "application/octet-stream"\n');
  return file;
}

interface LoadScenarioDef {
  name: string;
  title: string;
  /** The app in bench/apps/ (without `.py`) and the path requested. */
  app: string;
  path: string;
  contenders: ContenderId[];
  /** Contenders listed in the results without being run, and why. */
  unsupported?: Array<{ name: string; reason: string }>;
  /** The body length a contender must answer with before it is measured (e.g. the static file's). */
  bytes?: number;
  /** The contender the ratio column divides by, when not nuwsgi --http. */
  baseline?: ContenderId;
  load: Load;
  metrics: Metric[];
  chart?: string[];
  needs?: Record<string, string>;
  /**
   * A TLS scenario: what the client offers by ALPN. Every contender must negotiate TLS 1.3, and h2
   * when offered if it is one that offers h2 (tls-contenders.ts), or it is not measured.
   */
  tls?: { alpn: string[] };
}

/**
 * One GET on a connection of its own, closed afterwards (an idle keep-alive connection would hold a
 * uWSGI worker): its status (0 on an error) and the length of its body. Over https the
 * certificate, self-signed, is not verified.
 */
function get(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve) => {
    const answered = (res: http.IncomingMessage) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
    };
    const req = url.startsWith('https:') ? https.get(url, { agent: false, rejectUnauthorized: false }, answered)
      : http.get(url, { agent: false }, answered);
    req.on('error', () => resolve({ status: 0, bytes: 0 }));
  });
}

/**
 * GETs `url` until it answers 200 (a server may accept connections before its app is loaded); then,
 * if `bytes` is given, checks that the body has that length (a static file answered by the app
 * instead, say, would measure something else).
 */
async function answers(url: string, bytes?: number): Promise<void> {
  let last = { status: 0, bytes: 0 };
  await waitFor(async () => (last = await get(url)).status === 200, 30_000, `${url} to answer 200`, 100);
  if (bytes !== undefined && last.bytes !== bytes) {
    throw new Error(`${url} answered ${last.bytes} bytes, not the ${bytes} expected`);
  }
}

/**
 * In a TLS scenario, what `id` negotiates, or throws (a failure) when it is not TLS 1.3. Returns a
 * reason not to measure it when it is a contender that should offer h2 and did not pick it.
 */
async function checkTls(id: ContenderId, server: Server, alpn: string[]): Promise<Negotiated | { unsupported: string }> {
  const negotiated = await negotiate(server.url, alpn);
  if (negotiated.protocol !== 'TLSv1.3') throw new Error(`negotiated ${negotiated.protocol}, not TLSv1.3`);
  const offersH2 = id in tlsContenders && tlsContenders[id as keyof typeof tlsContenders].h2;
  if (offersH2 && alpn.includes('h2') && negotiated.alpn !== 'h2') {
    return { unsupported: `no h2 by ALPN (it picked ${negotiated.alpn === false ? 'nothing' : negotiated.alpn} from ${alpn.join(', ')})` };
  }
  return negotiated;
}

/** Waits until a started contender answers, warms it up; measuring it adds its CPU time per request. */
async function prepare(server: Server, def: LoadScenarioDef, options: BenchOptions, dir: string,
  negotiated?: Negotiated): Promise<Measurable['measure']> {
  const url = server.url + def.path;
  await answers(url, def.bytes);
  if (options.warmup > 0) await def.load.measure(url, options.warmup, { options, dir, negotiated });
  return () => withCpu(server.processes(), (window) => def.load.measure(url, options.duration, { options, dir, negotiated, window }),
    (sample) => sample.rps! * options.duration);
}

function loadScenario(def: LoadScenarioDef): Scenario {
  const needs: Record<string, string> = { wrk: 'wrk', ...def.needs };
  for (const id of def.contenders) Object.assign(needs, contenders[id].needs);
  return {
    name: def.name,
    title: def.title,
    needs,
    async run(options) {
      const dir = tempDir(`nuwsgi-bench-${def.name}-`);
      const staticDir = path.join(dir, 'static');
      fs.mkdirSync(staticDir);
      fs.writeFileSync(path.join(staticDir, STATIC_FILE), Buffer.alloc(STATIC_BYTES, 0x61));
      const setup: Setup = { app: def.app, dir, staticDir, processes: options.processes, threads: options.threads };
      const running: Server[] = [];
      const measurable: Measurable[] = [];
      const notMeasured: ContenderSamples[] = [];
      const chosen = def.contenders.filter((id) => options.contenders.length === 0 || options.contenders.includes(id));
      try {
        for (const id of chosen) {
          const contender: Contender = contenders[id];
          const { name } = contender;
          const unavailable = contender.unavailable?.();
          if (unavailable !== undefined) {
            console.log(`  ${name}: not run: ${unavailable}`);
            notMeasured.push({ name, samples: [], unsupported: unavailable });
            continue;
          }
          try {
            const server = await contender.start(setup);
            running.push(server);
            const negotiated = def.tls === undefined ? undefined : await checkTls(id, server, def.tls.alpn);
            if (negotiated !== undefined && 'unsupported' in negotiated) {
              console.log(`  ${name}: not measured: ${negotiated.unsupported}`);
              notMeasured.push({ name, samples: [], unsupported: negotiated.unsupported });
              continue;
            }
            measurable.push({ name, measure: await prepare(server, def, options, dir, negotiated) });
          } catch (err) {
            console.log(`  ${name}: FAILED to start: ${(err as Error).message}`);
            notMeasured.push({ name, samples: [], failure: (err as Error).message.split('\n')[0]! });
          }
        }
        const measured = new Map([...await interleave(options.rounds, measurable), ...notMeasured].map((c) => [c.name, c]));
        return {
          name: def.name,
          title: def.title,
          load: def.load.describe(options),
          metrics: def.metrics,
          chart: def.chart ?? [def.metrics[0]!.key],
          ...(def.baseline === undefined ? {} : { baseline: contenders[def.baseline].name }),
          contenders: [
            ...chosen.map((id) => measured.get(contenders[id].name)!),
            ...(def.unsupported ?? []).map(({ name, reason }) => ({ name, samples: [], unsupported: reason })),
          ],
        };
      } finally {
        for (const server of running.reverse()) await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const allFronts: ContenderId[] = ['nuwsgi', 'uwsgi-http', 'uwsgi-http11', 'gunicorn-sync', 'gunicorn-gthread', 'node',
  'nginx-nuwsgi', 'nginx-uwsgi', 'nginx-node', 'nginx-python'];
const appServers: ContenderId[] = ['nuwsgi', 'uwsgi-http11', 'uwsgi-http', 'gunicorn-gthread', 'gunicorn-sync'];
/** The classic deployment, and its ceiling: Python workers that accept nginx's connections with nothing else to do. */
const behindNginx: ContenderId[] = ['nginx-nuwsgi', 'nginx-uwsgi', 'nginx-python'];
const throughput = [rps, p99, busy, errors, cpu];
const fifty = wrkLoad(() => 50);

/** Over TLS: nuwsgi's listener, the bare Node ceilings, nginx terminating TLS for uWSGI, uWSGI's own router. */
const tlsFronts: ContenderId[] = ['nuwsgi-https', 'node-https', 'node-http2', 'nginx-tls-uwsgi', 'uwsgi-https'];

/**
 * h2load's 50 clients with 10 streams each, over h2. A contender that offers no h2 (uWSGI's router)
 * gets the same 50 clients over HTTP/1.1, one request at a time each: with 10 pipelined requests
 * per connection, the router answers the first and no other.
 */
const h2Clients: Load = {
  describe: (o) => `h2load -t1 -c50 -m10 over h2 (TLS 1.3); uWSGI's router, which has no h2, over HTTP/1.1 with -m1 ` +
    `(it answers no pipelined requests); ${o.rounds} interleaved round(s) of ${o.duration} s, each after 1 s of h2load's ` +
    'own warm-up (neither its requests nor its CPU time counted)',
  measure: (url, seconds, { negotiated, window }) => (negotiated?.alpn === 'h2'
    ? h2load(url, { clients: 50, streams: 10, seconds, window })
    : h2load(url, { clients: 50, streams: 1, seconds, http1: true, window })),
};

/**
 * A new TLS connection per request: wrk sends `Connection: close`, the server closes the connection
 * after its answer, and wrk connects again, with a new TCP connection and TLS handshake. wrk rather
 * than h2load (which reconnects too) because it is the tls scenario's client: the two scenarios
 * then differ by the handshakes alone, and report the same latency percentiles and errors. wrk
 * offers the session of the connection before (OpenSSL's SSL_clear keeps it), so a server that
 * issues session tickets resumes part of the handshakes, as a returning browser would; the
 * others are full handshakes.
 */
const newConnections: Load = {
  describe: (o) => `wrk -t1 -c50 with \`Connection: close\`: a new TCP connection and TLS 1.3 handshake per request ` +
    `(resumed when the server accepts the previous session), ${o.rounds} interleaved round(s) of ${o.duration} s`,
  measure: (url, seconds) => wrk(url, { connections: 50, seconds, headers: ['Connection: close'] }),
};

export const scenarios: Scenario[] = [
  loadScenario({
    name: 'hello', title: 'Hello world (13 bytes)', app: 'hello', path: '/',
    contenders: allFronts, load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'flask', title: 'Flask JSON view', app: 'flask_json', path: '/',
    contenders: [...appServers, ...behindNginx], load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'django', title: 'Django JSON view', app: 'django_view', path: '/',
    contenders: [...appServers, ...behindNginx], load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'static', title: 'Static file (64 KiB)', app: 'hello', path: `/static/${STATIC_FILE}`,
    contenders: ['nuwsgi-static', 'nginx-static', 'uwsgi-static', 'node-static'], bytes: STATIC_BYTES, baseline: 'nginx-static',
    load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'post', title: '1 MiB POST echo', app: 'echo', path: '/',
    contenders: ['nuwsgi', 'uwsgi-http11', 'uwsgi-http', 'gunicorn-gthread', 'node-echo', 'nginx-nuwsgi', 'nginx-uwsgi'],
    load: wrkLoad(() => 10, postScript), metrics: throughput,
  }),
  loadScenario({
    name: 'stream', title: '100 KiB streamed response (25 chunks of 4 KiB)', app: 'stream', path: '/',
    contenders: appServers.slice(0, 4), load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'keepalive', title: 'Hello world over 1,000 concurrent keep-alive connections', app: 'hello', path: '/',
    contenders: ['nuwsgi', 'uwsgi-http', 'uwsgi-http11', 'gunicorn-gthread', 'node'],
    load: wrkLoad((o) => (o.quick ? 100 : 1000)), metrics: throughput,
  }),
  loadScenario({
    name: 'slow', title: 'Slow clients: a normal client among slowloris connections', app: 'hello', path: '/',
    contenders: ['nuwsgi', 'uwsgi-http', 'gunicorn-gthread', 'gunicorn-sync'],
    needs: { slowhttptest: 'slowhttptest' },
    load: {
      describe: (o) => `slowhttptest -H (slowloris) holding ${o.quick ? 100 : 1000} connections, while wrk -t1 -c10 ` +
        `(2 s timeout) measures a normal client; ${o.rounds} interleaved round(s) of ${o.duration} s. ` +
        'A normal client that gets no answer at all shows as 0 req/s and no latency (wrk counts no error for it)',
      measure: (url, seconds, { options }) => slowClients(url, { slowConnections: options.quick ? 100 : 1000, normalConnections: 10, seconds }),
    },
    metrics: [p99, p50, errors, rps, slow],
  }),
  loadScenario({
    name: 'logging', title: 'Hello world with the request log on (to a file), against the same server without it', app: 'hello', path: '/',
    contenders: ['nuwsgi', 'nuwsgi-log', 'nuwsgi-log-json', 'nginx-nuwsgi', 'nginx-nuwsgi-log', 'nginx-nuwsgi-log-format',
      'uwsgi-http11', 'uwsgi-http11-log', 'node', 'node-log'],
    load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'tls', title: 'Hello world over TLS 1.3, HTTP/1.1 keep-alive', app: 'hello', path: '/',
    contenders: tlsFronts, baseline: 'nuwsgi-https', tls: { alpn: [] }, load: fifty, metrics: throughput,
  }),
  loadScenario({
    name: 'h2', title: 'Hello world over h2 (TLS 1.3), 50 clients × 10 streams', app: 'hello', path: '/',
    contenders: ['nuwsgi-https', 'node-http2', 'nginx-tls-uwsgi', 'uwsgi-https'], baseline: 'nuwsgi-https',
    tls: { alpn: ['h2', 'http/1.1'] }, needs: { h2load: 'nghttp2-client' }, load: h2Clients, metrics: [rps, mean, errors, cpu],
  }),
  loadScenario({
    name: 'tls-handshake', title: 'Hello world, a new TLS 1.3 connection per request', app: 'hello', path: '/',
    contenders: tlsFronts, baseline: 'nuwsgi-https', tls: { alpn: [] }, load: newConnections, metrics: [rps, p99, errors, cpu],
  }),
  loadScenario({
    name: 'latency', title: 'Latency at concurrency 1 (hello world), also behind nginx', app: 'hello', path: '/',
    contenders: allFronts, load: wrkLoad(() => 1), metrics: [p50, p99, rps, cpu], chart: ['p50', 'p99'],
  }),
  loadScenario({
    name: 'latency-flask', title: 'Latency at concurrency 1 behind nginx (Flask JSON view)', app: 'flask_json', path: '/',
    contenders: behindNginx, load: wrkLoad(() => 1), metrics: [p50, p99, rps, cpu], chart: ['p50', 'p99'],
  }),
  transferScenario,
  downloadScenario,
  memoryScenario,
  respawnScenario,
];
