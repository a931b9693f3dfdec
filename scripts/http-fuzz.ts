// The HTTP fuzzer of test/http-fuzz.test.ts (test/helpers/http-fuzz.ts) as a longer run against
// a nuwsgi it starts itself (echo app, --http-keepalive=2, request logging off), on loopback.
//
//   npm run fuzz:http -- --cases 20000 --seed 20260412 [--parallel 16] [--processes 2] [--max-seconds 600]
//
// Prints cases/s, the statuses the server answered, the master's RSS, every case that broke
// something (with its number, so that `--seed S --cases N+1` replays it) and whether the master
// survived. Exits 1 if anything broke.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, runFuzz } from '../test/helpers/http-fuzz.ts';
import { fixtureApps, startServer } from '../test/helpers/server.ts';
import { isAlive, rssBytes, rssSampler, stopServer } from '../test/helpers/wire.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '20260412' },
    parallel: { type: 'string', default: '16' },
    processes: { type: 'string', default: '2' },
    'max-seconds': { type: 'string', default: '600' },
    'probe-every': { type: 'string', default: '100' },
  },
});

const number = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a whole number, not ${JSON.stringify(values[name])}`);
  return n;
};

const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py'),
  '-p', String(number('processes')), '--http-keepalive=2', '--disable-logging']);
let broken = false;
try {
  const cases = number('cases');
  const rssBefore = rssBytes(server.pid) ?? 0;
  const sampler = rssSampler([server.pid], 200);
  let done = 0;
  const progress = setInterval(() => process.stderr.write(`\r${done} / ${cases} cases`), 1000);
  const report = await runFuzz({
    port: server.port, url: server.url, seed: number('seed'), cases, parallel: number('parallel'),
    probeEvery: number('probe-every'), capMs: number('max-seconds') * 1000,
    onCase: () => { done++; },
  });
  clearInterval(progress);
  process.stderr.write('\n');
  const peak = sampler.stop().get(server.pid) ?? 0;
  const rssAfter = rssBytes(server.pid) ?? 0;
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  console.log(formatReport(report));
  console.log(`master RSS: ${mib(rssBefore)} before, ${mib(peak)} at most, ${mib(rssAfter)} after`);
  const alive = server.proc.exitCode === null && server.proc.signalCode === null && isAlive(server.pid);
  console.log(alive ? 'the master is running' : `the master exited (${server.proc.exitCode ?? server.proc.signalCode})`);
  const errors = server.output().split('\n').filter((line) => /internal error|Unhandled|TypeError|RangeError/.test(line));
  for (const line of errors) console.log(`server: ${line}`);
  broken = !alive || report.problems.length > 0 || errors.length > 0;
} finally {
  await stopServer(server);
}
process.exitCode = broken ? 1 : 0;
