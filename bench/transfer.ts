// Large transfers through nuwsgi with the master's and the worker's memory watched: an upload to an
// app that reads it in 64 KiB pieces, and a generated download. Bodies must stream, so the resident
// set of either process may grow by less than 64 MiB whatever the size (2 GiB by default).
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fixtureApps, startServer, type RunningServer } from '../test/helpers/server.ts';
import { rssBytes, rssSampler, stopServer, workerPids } from '../test/helpers/wire.ts';
import type { ContenderSamples, Sample, Scenario } from './harness.ts';

export const RSS_LIMIT_MIB = 64;
const MiB = 1024 * 1024;

function generatedBody(bytes: number): Readable {
  const block = Buffer.alloc(64 * 1024, 0x61);
  let left = bytes;
  return new Readable({
    read() {
      if (left === 0) { this.push(null); return; }
      const n = Math.min(left, block.length);
      left -= n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

/** POSTs `bytes` to upload.py; resolves with the number of bytes the app says it read. */
function upload(server: RunningServer, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/?mode=read&size=65536`, {
      method: 'POST', headers: { 'Content-Length': String(bytes), 'Content-Type': 'application/octet-stream' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve((JSON.parse(text) as { bytes: number }).bytes));
    });
    req.on('error', reject);
    generatedBody(bytes).pipe(req);
  });
}

/** GETs `bytes` from streaming.py; resolves with the number of bytes received. */
function download(server: RunningServer, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}/download?bytes=${bytes}&cl=1`, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => { received += c.length; });
      res.on('end', () => resolve(received));
    }).on('error', reject);
  });
}

/** One worker, so that the process the body goes through is known. */
async function measure(app: string, bytes: number, work: (s: RunningServer) => Promise<number>): Promise<Sample> {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, app),
    '--processes', '1', '--home', '/usr', '--disable-logging']);
  try {
    const worker = workerPids(server.output())[0]!.pid;
    const before = [server.pid, worker].map((pid) => rssBytes(pid)!);
    const sampler = rssSampler([server.pid, worker], 50);
    const started = process.hrtime.bigint();
    const moved = await work(server);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peak = sampler.stop();
    if (moved !== bytes) throw new Error(`${moved} bytes arrived of ${bytes}`);
    return {
      master: (peak.get(server.pid)! - before[0]!) / MiB,
      worker: (peak.get(worker)! - before[1]!) / MiB,
      rate: bytes / MiB / seconds,
    };
  } finally {
    await stopServer(server);
  }
}

async function attempt(name: string, run: () => Promise<Sample>): Promise<ContenderSamples> {
  try {
    const sample = await run();
    console.log(`  ${name}: master +${sample.master!.toFixed(1)} MiB, worker +${sample.worker!.toFixed(1)} MiB`);
    return { name, samples: [sample] };
  } catch (err) {
    console.log(`  ${name}: FAILED: ${(err as Error).message}`);
    return { name, samples: [], failure: (err as Error).message.split('\n')[0]! };
  }
}

export const transferScenario: Scenario = {
  name: 'transfer',
  title: 'Large transfers: peak RSS growth of the master and the worker',
  needs: {},
  async run(options) {
    const bytes = (options.quick ? 32 : 2048) * MiB;
    const size = bytes >= 1024 * MiB ? `${bytes / 1024 / MiB} GiB` : `${bytes / MiB} MiB`;
    return {
      name: 'transfer',
      title: this.title,
      load: `one ${size} request each way through nuwsgi --http with 1 worker (test/fixtureapps/upload.py and ` +
        `streaming.py); RSS sampled every 50 ms, growth = peak − before; limit ${RSS_LIMIT_MIB} MiB per process`,
      metrics: [
        { key: 'master', label: 'master RSS growth', unit: 'MiB', better: 'lower', decimals: 1 },
        { key: 'worker', label: 'worker RSS growth', unit: 'MiB', better: 'lower', decimals: 1 },
        { key: 'rate', label: 'rate', unit: 'MiB/s', better: 'higher', decimals: 0 },
      ],
      chart: ['master', 'worker'],
      contenders: [
        await attempt(`nuwsgi: ${size} upload, app reads 64 KiB at a time`,
          () => measure('upload.py', bytes, (s) => upload(s, bytes))),
        await attempt(`nuwsgi: ${size} download, 64 KiB blocks`,
          () => measure('streaming.py', bytes, (s) => download(s, bytes))),
      ],
    };
  },
};
