// Running h2load (nghttp2-client), the load generator for HTTP/2: its figures as a Sample, as
// harness.ts's wrk() gives wrk's.
import { spawn } from 'node:child_process';
import { cpuSeconds, type CpuWindow } from './cpu.ts';
import { MS_PER_UNIT, type Sample } from './harness.ts';

export interface H2loadLoad {
  clients: number;
  /** Requests in flight per client: concurrent streams over h2, pipelined requests over HTTP/1.1. */
  streams: number;
  seconds: number;
  /** HTTP/1.1 (`--h1`) instead of h2 by ALPN. */
  http1?: boolean;
  /** Told when h2load's measured duration starts and ends, after its warm-up. */
  window?: CpuWindow;
}

/**
 * h2load's own warm-up, in seconds, before the duration it counts. Its clients connect then: when
 * some were still connecting as the duration began, h2load 1.52 often never exited after it
 * (tried against a bare node:http2 server), with no figures printed.
 */
const WARM_UP_SECONDS = 1;

/**
 * Against a bare node:http2 server on a busy machine, h2load 1.52 was often left waiting after its
 * duration on connections that the server no longer read, and never printed its figures. It
 * closes the connections still open this many seconds after the duration (`-T`), which made that
 * rarer; one still running EXIT_GRACE_MS after its duration is stopped and run again, up to
 * ATTEMPTS times in all.
 */
const CLOSE_AFTER_SECONDS = 2;
const EXIT_GRACE_MS = 10_000;
const ATTEMPTS = 3;

/** Why an h2load run was stopped after its duration. */
const STUCK = `still running ${EXIT_GRACE_MS / 1000} s after its duration, stopped`;

/**
 * What h2load measured over its duration (not its warm-up): `rps`, `mean` (the mean time for a
 * request, ms; h2load prints no percentiles), `errors` (its failed requests: those answered with
 * another status than 2xx or 3xx, and those not answered, reset or timed out), and `clientCpu`
 * (h2load's CPU time per request, µs). Rejects when h2load did not speak the protocol asked for
 * (TLS 1.3, and h2 unless `http1`): a server that answers another way is measured on something else.
 */
export async function h2load(url: string, load: H2loadLoad): Promise<Sample> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await h2loadOnce(url, load);
    } catch (err) {
      if (attempt === ATTEMPTS || !(err as Error).message.includes(STUCK)) throw err;
      console.log(`  h2load ${STUCK}; measuring again (attempt ${attempt + 1} of ${ATTEMPTS})`);
    }
  }
}

/** One run of h2load; the CPU window, if any, is told of this run's duration. */
function h2loadOnce(url: string, load: H2loadLoad): Promise<Sample> {
  const args = ['-t1', `-c${load.clients}`, `-m${load.streams}`, `-D${load.seconds}`, `--warm-up-time=${WARM_UP_SECONDS}`,
    `-T${WARM_UP_SECONDS + load.seconds + CLOSE_AFTER_SECONDS}`, ...(load.http1 ? ['--h1'] : []), url];
  const protocol = load.http1 ? 'http/1.1' : 'h2';
  return new Promise((resolve, reject) => {
    const proc = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let clientStart: number | undefined;
    let clientEnd: number | undefined;
    // h2load says when its counted duration starts and ends: the CPU times are read then
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (clientStart === undefined && stdout.includes('Main benchmark duration is started')) {
        clientStart = cpuSeconds(proc.pid!);
        load.window?.start();
      }
      if (clientEnd === undefined && stdout.includes('Main benchmark duration is over')) {
        clientEnd = cpuSeconds(proc.pid!);
        load.window?.end();
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const fail = (why: string) => reject(new Error(`h2load ${args.join(' ')}: ${why}\n${stdout}${stderr}`));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (WARM_UP_SECONDS + load.seconds) * 1000 + EXIT_GRACE_MS);
    proc.on('error', (err) => { clearTimeout(timer); fail(err.message); });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') { fail(STUCK); return; }
      if (code !== 0) { fail(`exited with ${code ?? signal}`); return; }
      const finished = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout);
      const requests = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(stdout);
      if (!finished || !requests) { fail('no req/s or request counts in its output'); return; }
      const tls = /^TLS Protocol: (\S+)/m.exec(stdout)?.[1];
      const alpn = /^Application protocol: (\S+)/m.exec(stdout)?.[1];
      if (tls !== 'TLSv1.3' || alpn !== protocol) {
        fail(`negotiated ${tls ?? 'no TLS'} and ${alpn ?? 'no application protocol'}, not TLSv1.3 and ${protocol}`);
        return;
      }
      const done = Number(requests[3]);
      const mean = /^time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s/m.exec(stdout);
      resolve({
        rps: Number(finished[1]),
        mean: done > 0 && mean ? Number(mean[1]) * MS_PER_UNIT[mean[2]!]! : NaN,
        errors: Number(requests[5]),
        ...(done > 0 && clientStart !== undefined && clientEnd !== undefined ? { clientCpu: (clientEnd - clientStart) / done * 1e6 } : {}),
      });
    });
  });
}
