// Slow clients: slowhttptest holds many slowloris connections open (a header line every 10 s, never
// finishing the request) while wrk, a normal client, measures its latency and errors.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { within, waitFor } from '../test/helpers/wire.ts';
import { wrk, type Sample } from './harness.ts';

export interface SlowClientsLoad {
  /** slowloris connections slowhttptest opens. */
  slowConnections: number;
  /** Connections of the normal client. */
  normalConnections: number;
  seconds: number;
}

/** Client sockets in state ESTABLISHED to `port` on this machine (from /proc/net/tcp and tcp6). */
function establishedTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, , remote, state] = line.trim().split(/\s+/);
      if (remote?.endsWith(`:${hexPort}`) && state === '01') count++;
    }
  }
  return count;
}

/**
 * Opens the slow connections (waiting up to 10 s for them), then runs wrk for `seconds` against the
 * same URL. The sample: the normal client's `p50`, `p99` (ms), `rps` and `errors` (a request wrk
 * gave up on after 2 s counts as one), and `slow`, how many slow connections were still open at
 * the end (a server may close them, which is a defence, not a failure).
 */
export async function slowClients(url: string, load: SlowClientsLoad): Promise<Sample> {
  const rate = Math.min(load.slowConnections, 500);
  const proc = spawn('slowhttptest', ['-H', '-c', String(load.slowConnections), '-r', String(rate), '-i', '10',
    '-s', '8192', '-x', '24', '-p', '3', '-l', String(load.seconds + 30), '-t', 'GET', '-u', url],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  proc.stderr!.on('data', (c: Buffer) => { output = (output + c.toString('utf8')).slice(-2_000); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    const port = Number(new URL(url).port);
    await waitFor(() => establishedTo(port) >= load.slowConnections * 0.95, 10_000, 'the slow connections')
      .catch(() => undefined);
    if (proc.exitCode !== null) throw new Error(`slowhttptest exited: ${output}`);
    const normal = await wrk(url, { connections: load.normalConnections, seconds: load.seconds, timeout: 2 });
    return { ...normal, slow: establishedTo(port) };
  } finally {
    proc.kill('SIGTERM');
    if ((await within(exited, 5_000)) === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
}
