// nginx -> nuwsgi against nginx -> Debian's uWSGI 2.0, both over a unix socket with `uwsgi_pass`,
// the same hello-world app and process count. Interleaved rounds (A B A B ...), medians compared.
//
//   npm run bench:nginx                        # 5 rounds of 5 s, wrk -t1 -c50, 2 processes each
//   npm run bench:nginx -- --rounds 3 --seconds 3
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startNginx, startNuwsgiSocket, uwsgiSite } from '../test/helpers/nginx.ts';
import { repoRoot } from '../test/helpers/server.ts';
import { startUwsgiOracle } from '../test/helpers/uwsgi-oracle.ts';
import { tempDir } from '../test/helpers/wire.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const rounds = arg('--rounds', 5);
const seconds = arg('--seconds', 5);
const connections = arg('--connections', 50);
const processes = String(arg('--processes', 2));
const app = path.join(repoRoot, 'examples', 'hello', 'app.py');
// the same backlog for both: nginx opens a connection per request
const backlog = ['--listen', '1024'];

type Backend = (socket: string) => Promise<{ stop(): Promise<unknown> }>;

// The ceiling of any single Node front on this path: a net server that answers each uwsgi request
// with a canned response, no parsing, no Python. nginx opens a connection per request, so this
// measures Node's cost of a connection.
const BARE_UWSGI = `const resp = Buffer.from('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 13\\r\\n\\r\\nHello, World!');
require('node:net').createServer({ allowHalfOpen: true }, (s) => {
  let got = 0, need = -1;
  s.on('data', (d) => { got += d.length; if (need < 0 && got >= 4) need = 4 + d.readUInt16LE(1); if (need >= 0 && got >= need) s.end(resp); });
  s.on('end', () => s.destroy());
  s.on('error', () => {});
}).listen({ path: process.argv[1], backlog: 1024 }, () => console.log('ready'));`;

async function bareNodeUwsgi(socket: string) {
  const child = spawn(process.execPath, ['-e', BARE_UWSGI, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill(); }) };
}

const backends: Record<string, Backend> = {
  [`nginx -> uWSGI 2.0 (${processes} workers)`]: (socket) => startUwsgiOracle('/usr/bin/uwsgi', {
    socket, wsgiFile: app, args: ['--processes', processes, '--disable-logging', ...backlog],
  }),
  [`nginx -> nuwsgi (${processes} workers)`]: (socket) =>
    startNuwsgiSocket(socket, ['--wsgi-file', app, '--processes', processes, '--disable-logging', ...backlog]),
  'nginx -> bare node:net responder (no app)': bareNodeUwsgi,
};

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

async function measure(start: Backend): Promise<number> {
  const dir = tempDir('nuwsgi-bench-');
  const socket = path.join(dir, 'app.sock');
  const backend = await start(socket);
  const port = await freePort();
  const nginx = await startNginx('/usr/sbin/nginx', {
    dir, port, http: uwsgiSite({ port, pass: `unix:${socket}` }),
  });
  try {
    await wrk(`${nginx.url}/plaintext`); // warm-up
    return await wrk(`${nginx.url}/plaintext`);
  } finally {
    await nginx.stop();
    await backend.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map<string, number[]>();
for (let r = 1; r <= rounds; r++) {
  for (const [name, start] of Object.entries(backends)) {
    const rps = await measure(start);
    results.set(name, [...(results.get(name) ?? []), rps]);
    console.log(`round ${r}: ${name}: ${rps.toFixed(0)} req/s`);
  }
}
const [uwsgi, ours, bare] = [...results.values()].map(median);
const lines = [
  `Hello world behind nginx (uwsgi_pass, unix socket), wrk -t1 -c${connections}, ${rounds} interleaved rounds of ${seconds} s (${new Date().toISOString()})`,
  '',
  '| contender | median req/s | min–max | ratio to nginx -> uWSGI |',
  '|---|---|---|---|',
  ...[...results.entries()].map(([name, xs]) =>
    `| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${(median(xs) / uwsgi).toFixed(2)} |`),
  '',
  `nginx -> nuwsgi / nginx -> uWSGI = ${(ours / uwsgi).toFixed(2)}`,
  `nginx -> nuwsgi / the bare node:net ceiling = ${(ours / bare).toFixed(2)}`,
];
console.log('\n' + lines.join('\n'));
const out = path.join(repoRoot, 'bench', 'results', 'nginx.md');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, lines.join('\n') + '\n');
