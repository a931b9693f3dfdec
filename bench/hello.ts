// Hello world (13 bytes) through nuwsgi against a bare node:http responder, the ceiling of any Node
// front. The contenders run interleaved (A B A B ...) for several rounds on the same machine and the
// medians are compared: this 2-core machine is noisy, one run proves nothing.
//
//   npm run bench:hello                       # 5 rounds of 5 s, wrk -t1 -c50
//   npm run bench:hello -- --rounds 3 --seconds 3
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer } from '../test/helpers/server.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const rounds = arg('--rounds', 5);
const seconds = arg('--seconds', 5);
const connections = arg('--connections', 50);
const processes = arg('--processes', 2);

const BARE = `require('node:http').createServer((req, res) => {
  res.writeHead(200, ['Content-Type', 'text/plain', 'Content-Length', '13']);
  res.end('Hello, World!');
}).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); });`;

interface Contender {
  name: string;
  url: string;
  stop(): Promise<unknown>;
}

async function bareNode(): Promise<Contender> {
  const child: ChildProcess = spawn(process.execPath, ['-e', BARE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => { const m = /port (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
  });
  return {
    name: 'bare node:http',
    url: `http://127.0.0.1:${port}/plaintext`,
    stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill(); }),
  };
}

async function nuwsgi(): Promise<Contender> {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(repoRoot, 'examples', 'hello', 'app.py'),
    '--processes', String(processes), '--disable-logging']);
  return { name: `nuwsgi --http (${processes} workers)`, url: `${server.url}/plaintext`, stop: () => server.stop() };
}

function wrk(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], (err, stdout) => {
      if (err) { reject(err); return; }
      const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      if (!m || /Non-2xx|Socket errors/.test(stdout)) { reject(new Error(`wrk reported errors:\n${stdout}`)); return; }
      resolve(Number(m[1]));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(start: () => Promise<Contender>): Promise<{ name: string; rps: number }> {
  const c = await start();
  try {
    await wrk(c.url); // warm-up, not counted: JIT, worker imports
    return { name: c.name, rps: await wrk(c.url) };
  } finally {
    await c.stop();
  }
}

if (!fs.existsSync('/usr/bin/wrk')) {
  console.error('wrk is not installed: apt-get install wrk');
  process.exit(1);
}
const results = new Map<string, number[]>();
for (let r = 1; r <= rounds; r++) {
  for (const start of [bareNode, nuwsgi]) {
    const { name, rps } = await measure(start);
    results.set(name, [...(results.get(name) ?? []), rps]);
    console.log(`round ${r}: ${name}: ${rps.toFixed(0)} req/s`);
  }
}
const [bare, ours] = [...results.values()].map(median);
const lines = [
  `Hello world, wrk -t1 -c${connections}, ${rounds} interleaved rounds of ${seconds} s (${new Date().toISOString()})`,
  '',
  '| contender | median req/s | min–max | ratio to bare node:http |',
  '|---|---|---|---|',
  ...[...results.entries()].map(([name, xs]) =>
    `| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${(median(xs) / bare).toFixed(2)} |`),
  '',
  `nuwsgi / bare node:http = ${(ours / bare).toFixed(2)}`,
];
console.log('\n' + lines.join('\n'));
const out = path.join(repoRoot, 'bench', 'results', 'hello.md');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, lines.join('\n') + '\n');
