// --master-fifo: uWSGI's one-letter commands written to a named pipe the master reads.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { httpRequest, stopServer, tempDir, within } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'supervised.py');
const servers: RunningServer[] = [];
after(async () => { for (const s of servers) await stopServer(s); });

test('r reloads, s logs stats, p pauses and resumes, + and - change the workers, q stops gracefully', async () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'master.fifo');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '-p', '1', '--master-fifo', fifo, '--vacuum']);
  servers.push(server);
  assert.ok(fs.statSync(fifo).isFIFO());
  const send = (letters: string) => fs.writeFileSync(fifo, letters);

  send('r');
  await server.waitForOutput(/master FIFO: r: graceful reload, re-reading the configuration/);
  await server.waitForOutput(/reload complete: 1 new workers serving/, 20_000);
  send('s');
  await server.waitForOutput(/workers total requests: 0/);
  send('p');
  await server.waitForOutput(/\*\*\* PAUSE/);
  send('p');
  await server.waitForOutput(/\*\*\* RESUME/);
  send('+');
  await server.waitForOutput(/adding worker 2 \(now 2 workers\)/);
  send('-');
  await server.waitForOutput(/removing worker 2 \(now 1 workers\)/);
  send('x');
  await server.waitForOutput(/master FIFO command "x": not supported by nuwsgi; ignored/);
  assert.equal((await httpRequest(server.url)).status, 200);
  send('q');
  assert.deepEqual(await within(server.exited, 15_000), { code: 0, signal: null }, server.output());
  assert.match(server.output(), /master FIFO: q: graceful shutdown/);
  assert.equal(fs.existsSync(fifo), false, 'vacuum removes the FIFO');
});

test('with several FIFOs the first is active; a digit switches to another', async () => {
  const dir = tempDir();
  const [first, second] = [path.join(dir, 'a.fifo'), path.join(dir, 'b.fifo')];
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', app, '--master-fifo', first, '--master-fifo', second]);
  servers.push(server);
  fs.writeFileSync(second, 's');
  fs.writeFileSync(first, 'p');
  await server.waitForOutput(/\*\*\* PAUSE/);
  assert.doesNotMatch(server.output(), /workers total requests/, 'the inactive FIFO is not obeyed');
  fs.writeFileSync(first, '1');
  await server.waitForOutput(/master FIFO: now obeying .*b\.fifo/);
  fs.writeFileSync(second, 's');
  await server.waitForOutput(/workers total requests/);
});
