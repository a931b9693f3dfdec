// Hello world (13 bytes) through nuwsgi against a bare node:http responder, the ceiling of any Node
// front. The contenders run interleaved (A B A B ...) for several rounds on the same machine and the
// medians are compared: this 2-core machine is noisy, one run proves nothing.
//
//   npm run bench:hello                       # 5 rounds of 5 s, wrk -t1 -c50
//   npm run bench:hello -- --rounds 3 --seconds 3
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer } from '../test/helpers/server.ts';
import { interleave, median, numberArg, writeResults, wrk } from './harness.ts';

const rounds = numberArg('--rounds', 5);
const seconds = numberArg('--seconds', 5);
const connections = numberArg('--connections', 50);
const processes = numberArg('--processes', 2);

const BARE = `require('node:http').createServer((req, res) => {
  res.writeHead(200, ['Content-Type', 'text/plain', 'Content-Length', '13']);
  res.end('Hello, World!');
}).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); });`;

interface Contender {
  url: string;
  stop(): Promise<unknown>;
}

async function bareNode(): Promise<Contender> {
  const child: ChildProcess = spawn(process.execPath, ['-e', BARE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => { const m = /port (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
  });
  return {
    url: `http://127.0.0.1:${port}/plaintext`,
    stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill(); }),
  };
}

async function nuwsgi(): Promise<Contender> {
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(repoRoot, 'examples', 'hello', 'app.py'),
    '--processes', String(processes), '--disable-logging']);
  return { url: `${server.url}/plaintext`, stop: () => server.stop() };
}

const contenders: Record<string, () => Promise<Contender>> = {
  'bare node:http': bareNode,
  [`nuwsgi --http (${processes} workers)`]: nuwsgi,
};

async function measure(name: string): Promise<number> {
  const c = await contenders[name]();
  try {
    await wrk(c.url, connections, seconds); // warm-up, not counted: JIT, worker imports
    return await wrk(c.url, connections, seconds);
  } finally {
    await c.stop();
  }
}

if (!fs.existsSync('/usr/bin/wrk')) {
  console.error('wrk is not installed: apt-get install wrk');
  process.exit(1);
}
const results = await interleave(rounds, Object.keys(contenders), measure);
const [bare, ours] = [...results.values()].map(median);
writeResults('hello.md',
  `Hello world, wrk -t1 -c${connections}, ${rounds} interleaved rounds of ${seconds} s (${new Date().toISOString()})`,
  results, 'bare node:http', [`nuwsgi / bare node:http = ${(ours / bare).toFixed(2)}`]);
