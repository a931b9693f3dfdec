// A load generator for the tests: keep-alive connections doing requests back to back, each
// outcome counted. Bounded: it stops when told, after `maxRequests`, or after `maxMs`.
import http from 'node:http';
import type { RunningServer } from './server.ts';
import { waitFor } from './wire.ts';

export interface Tally {
  ok: number;
  /** Every non-200 status or network error, as text ("status 502", "socket hang up"...). */
  failed: string[];
}

export interface Load {
  tally: Tally;
  /** Stops the connections and resolves once every one has finished its last request. */
  stop(): Promise<void>;
}

export interface LoadOptions {
  connections: number;
  /** The URL of connection `i` (so that some can run slow requests). */
  url: (i: number) => string;
  maxRequests?: number;
  maxMs?: number;
}

export function startLoad(options: LoadOptions): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const tally: Tally = { ok: 0, failed: [] };
  const started = Date.now();
  const maxRequests = options.maxRequests ?? 200_000;
  const maxMs = options.maxMs ?? 120_000;
  let stopped = false;
  const running = () => !stopped && tally.ok + tally.failed.length < maxRequests && Date.now() - started < maxMs;

  const oneRequest = (url: string) => new Promise<void>((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) tally.ok++;
        else tally.failed.push(`status ${res.statusCode}`);
        resolve();
      });
      res.on('error', (err) => { tally.failed.push(err.message); resolve(); });
    });
    req.on('error', (err) => { tally.failed.push(err.message); resolve(); });
  });
  const loops = Array.from({ length: options.connections }, async (_, i) => {
    while (running()) await oneRequest(options.url(i));
  });

  return {
    tally,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/**
 * Once the load has got going, sends `server` SIGHUP `reloads` times; each time it waits for the
 * reload to complete (within `reloadTimeoutMs`), then for requests to flow again.
 */
export async function reloadUnderLoad(server: RunningServer, tally: Tally, reloads: number, reloadTimeoutMs: number): Promise<void> {
  await waitFor(() => tally.ok > 200, 20_000, 'the load to get going');
  for (let i = 1; i <= reloads; i++) {
    server.proc.kill('SIGHUP');
    await waitFor(() => (server.output().match(/reload complete/g)?.length ?? 0) >= i, reloadTimeoutMs, `reload ${i} to complete`);
    const okBefore = tally.ok;
    await waitFor(() => tally.ok > okBefore + 50, 20_000, `requests to flow after reload ${i}`);
  }
}
