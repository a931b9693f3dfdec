// Large transfers through nuwsgi with the master's and the worker's memory watched: a 2 GiB upload
// to an app that reads it in chunks, and a 2 GiB generated download. Bodies must stream, so the
// resident set of either process may grow by less than 64 MiB whatever the size.
//
//   npm run bench:transfer                 # 2 GiB each way
//   npm run bench:transfer -- --mib 256    # a quicker run
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fixtureApps, repoRoot, startServer, type RunningServer } from '../test/helpers/server.ts';

const LIMIT_MIB = 64;
const mibArg = process.argv.indexOf('--mib');
const totalBytes = (mibArg === -1 ? 2048 : Number(process.argv[mibArg + 1])) * 1024 * 1024;

function rssKiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** Samples the peak RSS of some processes while `work` runs. */
async function watchRss<T>(pids: number[], work: () => Promise<T>) {
  const before = pids.map(rssKiB);
  const peak = [...before];
  const timer = setInterval(() => {
    pids.forEach((pid, i) => { peak[i] = Math.max(peak[i], rssKiB(pid)); });
  }, 50);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { result, seconds, growthMiB: pids.map((_, i) => (peak[i] - before[i]) / 1024) };
  } finally {
    clearInterval(timer);
  }
}

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

function upload(server: RunningServer, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/?mode=read&size=65536`, {
      method: 'POST', headers: { 'Content-Length': String(bytes), 'Content-Type': 'application/octet-stream' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    generatedBody(bytes).pipe(req);
  });
}

function download(server: RunningServer, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}/download?bytes=${bytes}&cl=1`, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => { received += c.length; });
      res.on('end', () => resolve(received));
    }).on('error', reject);
  });
}

async function run(app: string, label: string, work: (s: RunningServer) => Promise<string>) {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, app), '-L']);
  try {
    const workerPid = Number(/spawned worker 1 \(pid: (\d+)/.exec(server.output())![1]);
    const { result, seconds, growthMiB } = await watchRss([server.pid, workerPid], () => work(server));
    const [master, worker] = growthMiB;
    const ok = master < LIMIT_MIB && worker < LIMIT_MIB;
    return `| ${label} | ${(totalBytes / 1024 ** 2).toFixed(0)} MiB | ${(totalBytes / 1024 ** 2 / seconds).toFixed(0)} MiB/s | ` +
      `${master.toFixed(1)} MiB | ${worker.toFixed(1)} MiB | ${ok ? 'yes' : 'NO'} | ${result} |`;
  } finally {
    await server.stop();
  }
}

const rows = [
  await run('upload.py', 'upload, app reads 64 KiB at a time', async (s) => {
    const report = JSON.parse(await upload(s, totalBytes)) as { bytes: number };
    return `app read ${report.bytes} bytes`;
  }),
  await run('streaming.py', 'download, generated 64 KiB blocks', async (s) => `client got ${await download(s, totalBytes)} bytes`),
];
const table = [
  `Large transfers (${new Date().toISOString()}, limit: RSS growth < ${LIMIT_MIB} MiB per process)`,
  '',
  '| transfer | size | rate | master RSS growth | worker RSS growth | within limit | check |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);
const out = path.join(repoRoot, 'bench', 'results', 'transfer.md');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, table + '\n');
