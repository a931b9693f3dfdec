// `nuwsgi top ADDR` in a real pseudo-terminal (test/helpers/pty-run.py): what it draws of a running
// nuwsgi and of Debian's uWSGI, requests counted as they are served, a resize, the line shown while
// the server cannot be read, and q or Ctrl-C leaving the terminal as it was. And without a terminal:
// one frame (--once), a usage error for a bad ADDR.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cliPath, fixtureApps, repoRoot, startServer, type RunningServer } from './helpers/server.ts';
import { needSystemPython } from './helpers/peers.ts';
import { startInPty, type Pty } from './helpers/pty.ts';
import { readStats } from './helpers/stats.ts';
import { nginxVars, uwsgiRequest } from './helpers/uwsgi-client.ts';
import { needUwsgi, startUwsgiOracle } from './helpers/uwsgi-oracle.ts';
import { tempDir } from './helpers/wire.ts';

const errorsApp = path.join(fixtureApps, 'errors.py');
const ENTER_ALTERNATE = '\x1b[?1049h';
const LEAVE_ALTERNATE = '\x1b[?1049l';

function top(rows: number, columns: number, args: string[]): Pty {
  return startInPty(rows, columns, [process.execPath, cliPath, 'top', ...args]);
}

/** The worker rows of a frame, as their cells. */
function workerRows(frame: string[]): string[][] {
  const heading = frame.findIndex((line) => line.trimStart().startsWith('WID'));
  if (heading === -1) return [];
  return frame.slice(heading + 1).map((line) => line.trim().split(/\s+/)).filter((cells) => /^\d+$/.test(cells[0]));
}

/** `nuwsgi top ...` without a terminal: its exit code, stdout and stderr. */
function runTop(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cliPath, 'top', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`nuwsgi top did not exit: ${stdout}${stderr}`)); }, timeoutMs);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** A TCP port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('nuwsgi top in a terminal', () => {
  let dir: string;
  let server: RunningServer;
  let statsSocket: string;

  before(async () => {
    dir = tempDir('nuwsgi-top-');
    statsSocket = path.join(dir, 'stats.sock');
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--processes', '2', '--stats', statsSocket]);
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws a row per worker with its pid, counts the requests served, follows a resize, and q restores the terminal', async (t: TestContext) => {
    if (!(await needSystemPython(t))) return;
    const pids = (await readStats({ path: statsSocket })).workers.map((w) => String(w.pid));
    const term = top(30, 120, ['--interval', '0.2', statsSocket]);
    t.after(() => term.close());
    await term.waitFor('both workers drawn', () => {
      const rows = workerRows(term.lastFrame());
      return rows.length === 2 && rows.every((cells, i) => cells[1] === pids[i] && cells[2] === 'idle');
    });
    const first = term.lastFrame();
    const version = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
    // the workers are forked from a zygote (the default), which the header names
    assert.match(first[0], new RegExp(`^${statsSocket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} - version ${version} - pid ${server.pid} - workers 2 - zygote \\d+ ready \\S+$`));
    assert.ok(first.some((line) => line.length > 60), 'the header is wider than the terminal will be');

    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${server.url}/ok`)).status, 200);
    await term.waitFor('the six requests counted', () => {
      const rows = workerRows(term.lastFrame());
      return rows.length === 2 && rows.reduce((n, cells) => n + Number(cells[3]), 0) === 6 &&
        /requests 6 /.test(term.lastFrame()[1] ?? '');
    });

    term.resize(12, 60);
    await term.waitFor('a frame 60 columns wide', () => {
      const frame = term.lastFrame();
      return frame.length > 0 && frame.every((line) => line.length <= 60) && frame[0].length === 60;
    });
    assert.ok(term.lastFrame().length < 12, 'fewer lines than the terminal has rows');

    term.keys('q');
    const end = await term.ended;
    assert.deepEqual(end, { exit: 0, signal: null, termiosRestored: true });
    assert.ok(term.output().startsWith(ENTER_ALTERNATE), 'the view is drawn on the alternate screen');
    assert.ok(term.output().endsWith(LEAVE_ALTERNATE), 'and the shell screen is back at the end');
  });

  it('says how many workers did not fit on a short terminal, and quits on Ctrl-C', async (t: TestContext) => {
    if (!(await needSystemPython(t))) return;
    const term = top(6, 100, ['-i', '0.2', statsSocket]);
    t.after(() => term.close());
    await term.waitFor('the count of workers not shown', () => term.lastFrame().at(-1) === '... 2 more (a taller terminal shows them)');
    assert.equal(term.lastFrame().length, 5);
    term.keys('\x03');
    assert.deepEqual(await term.ended, { exit: 0, signal: null, termiosRestored: true });
    assert.ok(term.output().endsWith(LEAVE_ALTERNATE));
  });

  it('prints one frame and exits when stdout is not a terminal, also from a stats-http server', async (t: TestContext) => {
    const once = await runTop(['--interval', '0.2', statsSocket]);
    assert.equal(once.code, 0, once.stderr);
    assert.ok(!once.stdout.includes('\x1b'), 'no escape sequences in a pipe');
    const pids = (await readStats({ path: statsSocket })).workers.map((w) => String(w.pid));
    assert.deepEqual(workerRows(once.stdout.split('\n')).map((cells) => cells[1]), pids);

    const httpServer = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--stats', '127.0.0.1:0', '--stats-http']);
    t.after(() => httpServer.stop());
    const port = /stats server \(HTTP\) listening on \S+:(\d+)/.exec(httpServer.output())![1];
    const overHttp = await runTop(['--once', '-i', '0.2', `http://127.0.0.1:${port}`]);
    assert.equal(overHttp.code, 0, overHttp.stderr);
    assert.equal(workerRows(overHttp.stdout.split('\n')).length, 1);
    assert.match(overHttp.stdout, new RegExp(`pid ${httpServer.pid} - workers 1`));
  });
});

describe('nuwsgi top and a server it cannot read', () => {
  it('shows why on a line, keeps trying, and draws the server once it is up', async (t: TestContext) => {
    if (!(await needSystemPython(t))) return;
    const dir = tempDir('nuwsgi-top-');
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const statsSocket = path.join(dir, 'stats.sock');
    const term = top(24, 120, ['-i', '0.2', statsSocket]);
    t.after(() => term.close());
    await term.waitFor('the problem shown', () => term.lastFrame()[0] === `cannot read stats from ${statsSocket}: ENOENT (retrying)`);

    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--stats', statsSocket]);
    t.after(() => server.stop());
    await term.waitFor('the server drawn', () => workerRows(term.lastFrame()).length === 1 && !term.lastFrame()[0].startsWith('cannot'));
    term.keys('Q');
    assert.deepEqual(await term.ended, { exit: 0, signal: null, termiosRestored: true });
  });

  it('says ECONNREFUSED for a TCP port nothing listens on; SIGTERM restores the terminal too', async (t: TestContext) => {
    if (!(await needSystemPython(t))) return;
    const port = await closedPort();
    const term = top(24, 120, ['-i', '0.2', `127.0.0.1:${port}`]);
    t.after(() => term.close());
    await term.waitFor('the problem shown', () => term.lastFrame()[0] === `cannot read stats from 127.0.0.1:${port}: ECONNREFUSED (retrying)`);
    // Closing the helper's input sends SIGTERM to top.
    assert.deepEqual(await term.close(), { exit: 143, signal: null, termiosRestored: true });
    assert.ok(term.output().endsWith(LEAVE_ALTERNATE));
  });

  it('without a terminal, exits 1 with the reason', async () => {
    const port = await closedPort();
    const run = await runTop(['--once', `:${port}`]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `nuwsgi top: cannot read stats from :${port}: ECONNREFUSED\n`);
    assert.equal(run.stdout, '');
  });

  it('refuses a bad ADDR, or none, with the usage and exit code 2', async () => {
    for (const [args, message] of [
      [['9191'], "nuwsgi top: bad ADDR: '9191' would be a unix socket file named 9191: for TCP port 9191 write :9191 (for the file, ./9191)"],
      [[], 'nuwsgi top: no ADDR: name the stats server to read (the --stats address)'],
      [['-i', 'soon', ':9191'], 'nuwsgi top: --interval soon: expected seconds from 0.1 to 3600, e.g. --interval 0.5'],
    ] as const) {
      const run = await runTop([...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr.split('\n')[0], message);
      assert.match(run.stderr, /^Usage: nuwsgi top /m);
    }
  });
});

describe("nuwsgi top and Debian's uWSGI", () => {
  it("draws uWSGI's worker, and the request it served", async (t: TestContext) => {
    const uwsgi = needUwsgi(t);
    if (uwsgi === undefined) return;
    if (!(await needSystemPython(t))) return;
    const dir = tempDir('nuwsgi-top-');
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const statsSocket = path.join(dir, 'uwsgi-stats.sock');
    const oracle = await startUwsgiOracle(uwsgi, { socket: path.join(dir, 'uwsgi.sock'), wsgiFile: errorsApp, args: ['--stats', statsSocket] });
    t.after(() => oracle.stop());
    const workerPid = /spawned uWSGI worker 1 \(pid: (\d+)/.exec(oracle.output())![1];

    const term = top(24, 120, ['-i', '0.2', statsSocket]);
    t.after(() => term.close());
    await term.waitFor("uWSGI's worker drawn", () => workerRows(term.lastFrame())[0]?.[1] === workerPid);
    assert.match(term.lastFrame()[0], new RegExp(`version 2\\.0\\S* - pid ${oracle.pid} - workers 1$`));
    // uWSGI leaves SCRIPT_NAME out when nginx sends none, which the validator refuses (uwsgi-oracle.ts).
    const answer = await uwsgiRequest({ path: path.join(dir, 'uwsgi.sock') }, [...nginxVars({ uri: '/ok' }), ['SCRIPT_NAME', '']]);
    assert.equal(answer.statusCode, 200);
    await term.waitFor('the request counted', () => workerRows(term.lastFrame())[0]?.[3] === '1');
    term.keys('q');
    assert.deepEqual(await term.ended, { exit: 0, signal: null, termiosRestored: true });

    const once = await runTop(['--once', '-i', '0.2', statsSocket]);
    assert.equal(once.code, 0, once.stderr);
    assert.deepEqual(workerRows(once.stdout.split('\n')).map((cells) => cells.slice(0, 4)), [['1', workerPid, 'idle', '1']]);
  });
});
