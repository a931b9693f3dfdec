// nginx -> nuwsgi against nginx -> Debian's uWSGI 2.0, both over a unix socket with `uwsgi_pass`,
// the same hello-world app and process count. Interleaved rounds (A B A B ...), medians compared.
//
//   npm run bench:nginx                        # 5 rounds of 5 s, wrk -t1 -c50, 2 processes each
//   npm run bench:nginx -- --rounds 3 --seconds 3
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startNginx, startNuwsgiSocket, uwsgiSite } from '../test/helpers/nginx.ts';
import { repoRoot } from '../test/helpers/server.ts';
import { startUwsgiOracle } from '../test/helpers/uwsgi-oracle.ts';
import { tempDir } from '../test/helpers/wire.ts';
import { interleave, median, numberArg, writeResults, wrk } from './harness.ts';

const rounds = numberArg('--rounds', 5);
const seconds = numberArg('--seconds', 5);
const connections = numberArg('--connections', 50);
const processes = String(numberArg('--processes', 2));
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

async function measure(name: string): Promise<number> {
  const start = backends[name];
  const dir = tempDir('nuwsgi-bench-');
  const socket = path.join(dir, 'app.sock');
  const backend = await start(socket);
  const port = await freePort();
  const nginx = await startNginx('/usr/sbin/nginx', {
    dir, port, http: uwsgiSite({ port, pass: `unix:${socket}` }),
  });
  try {
    await wrk(`${nginx.url}/plaintext`, connections, seconds); // warm-up
    return await wrk(`${nginx.url}/plaintext`, connections, seconds);
  } finally {
    await nginx.stop();
    await backend.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const results = await interleave(rounds, Object.keys(backends), measure);
const [uwsgi, ours, bare] = [...results.values()].map(median);
writeResults('nginx.md',
  `Hello world behind nginx (uwsgi_pass, unix socket), wrk -t1 -c${connections}, ${rounds} interleaved rounds of ${seconds} s (${new Date().toISOString()})`,
  results, Object.keys(backends)[0], [
    `nginx -> nuwsgi / nginx -> uWSGI = ${(ours / uwsgi).toFixed(2)}`,
    `nginx -> nuwsgi / the bare node:net ceiling = ${(ours / bare).toFixed(2)}`,
  ]);
