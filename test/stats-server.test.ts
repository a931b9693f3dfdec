// The stats server (`--stats`): uWSGI's JSON with the same keys, order and types as Debian's uWSGI
// writes, read as uwsgitop reads it, over TCP, unix and abstract sockets, with stats-http,
// stats-minified and stats-no-cores, and values that move with what the workers do.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fixtureApps, runToExit, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { needUwsgi, startUwsgiOracle } from './helpers/uwsgi-oracle.ts';
import { eventually, tempDir } from './helpers/wire.ts';
import { readStats, readUntilEof, shapeOf, statsTargetFrom, type StatsDocument, type StatsTarget } from './helpers/stats.ts';

const errorsApp = path.join(fixtureApps, 'errors.py');
const gatedApp = path.join(fixtureApps, 'gated.py');



describe('the stats server', () => {
  let dir: string;
  let server: RunningServer;
  let stats: StatsTarget;

  before(async () => {
    dir = tempDir();
    server = await startServer([
      '--http', '127.0.0.1:0', '--socket', path.join(dir, 'app.sock'), '--wsgi-file', errorsApp,
      '--master', '--processes', '2', '--stats', path.join(dir, 'stats.sock'),
    ]);
    stats = statsTargetFrom(server.output());
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the document and closes, reading nothing: a reader until EOF gets JSON', async () => {
    const doc = await readStats(stats);
    assert.equal(doc.pid, server.pid);
    assert.equal(doc.cwd, process.cwd());
    assert.equal(doc.workers.length, 2);
    assert.deepEqual(doc.workers.map((w) => w.id), [1, 2]);
    assert.deepEqual(doc.sockets.map((s) => s.proto), ['http', 'uwsgi']);
    for (const w of doc.workers) {
      assert.ok(w.pid > 0 && w.pid !== server.pid);
      assert.equal(w.status, 'idle');
      assert.equal(w.accepting, 1);
      assert.ok((w.rss as number) > 1024 * 1024, 'rss is filled without --memory-report');
      assert.ok((w.vsz as number) >= (w.rss as number));
      assert.equal(w.respawn_count, 1, 'uWSGI counts the first spawn');
      assert.ok(Math.abs((w.last_spawn as number) - Date.now() / 1000) < 120);
    }
  });

  it('counts the requests of both listeners, per worker and per core, with their bytes and times', async () => {
    const before = await readStats(stats);
    const total = (doc: StatsDocument) => doc.workers.reduce((n, w) => n + w.requests, 0);
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${server.url}/ok`)).status, 200);
    const target = uwsgiTarget(server);
    for (let i = 0; i < 4; i++) assert.equal((await uwsgiRequest(target, nginxVars({ uri: '/ok' }))).statusCode, 200);
    const afterDoc = await eventually('the nine requests counted', async () => {
      const doc = await readStats(stats);
      return total(doc) === total(before) + 9 ? doc : undefined;
    });
    for (const w of afterDoc.workers) {
      assert.equal(w.cores.reduce((n, c) => n + c.requests, 0), w.requests, 'the cores add up to the worker');
      assert.equal(w.delta_requests, w.requests);
      if (w.requests > 0) {
        assert.ok((w.tx as number) > 0);
        assert.ok((w.running_time as number) > 0);
      }
    }
  });

  it('counts the exceptions the app raises, whichever listener the request came on', async () => {
    const exceptions = (doc: StatsDocument) => doc.workers.reduce((n, w) => n + w.exceptions, 0);
    const start = exceptions(await readStats(stats));
    assert.equal((await fetch(`${server.url}/before`)).status, 500);
    assert.equal((await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/before' }))).statusCode, 500);
    await eventually('two exceptions counted', async () => (exceptions(await readStats(stats)) === start + 2 ? true : undefined));
  });

  it('counts a respawn for the worker id whose worker was killed, and shows the new pid', async () => {
    const doc = await readStats(stats);
    const victim = doc.workers[0];
    process.kill(victim.pid, 'SIGKILL');
    const respawned = await eventually('worker 1 respawned', async () => {
      const w = (await readStats(stats)).workers[0];
      return w.pid !== victim.pid && w.status === 'idle' ? w : undefined;
    });
    assert.equal(respawned.respawn_count, victim.respawn_count + 1);
    assert.equal(respawned.requests, victim.requests, 'requests are kept across respawns');
    assert.equal(respawned.delta_requests, 0, 'delta_requests start again');
  });
});

describe('a worker in a request', () => {
  it('shows busy, with its core in_request and the request start, for a request on a uwsgi socket and over HTTP', async (t: TestContext) => {
    const dir = tempDir();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const server = await startServer([
      '--http', '127.0.0.1:0', '--socket', path.join(dir, 'app.sock'), '--wsgi-file', gatedApp,
      '--master', '--processes', '1', '--threads', '2', '--stats', path.join(dir, 'stats.sock'),
    ]);
    t.after(() => server.stop());
    const stats = statsTargetFrom(server.output());
    const gate = path.join(dir, 'gate');
    const query = `gate=${encodeURIComponent(gate)}`;
    const overUwsgi = uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: `/?${query}&id=u` }));
    const overHttp = fetch(`${server.url}/?${query}&id=h`);
    const worker = await eventually('both cores busy', async () => {
      const w = (await readStats(stats)).workers[0];
      return w.cores.every((c) => c.in_request === 1) ? w : undefined;
    });
    assert.equal(worker.status, 'busy');
    for (const core of worker.cores) assert.ok(Math.abs(core.req_info.request_start - Date.now() / 1000) < 60);
    fs.writeFileSync(gate, '');
    assert.equal((await overUwsgi).statusCode, 200);
    assert.equal((await overHttp).status, 200);
    const idle = await eventually('idle again', async () => {
      const w = (await readStats(stats)).workers[0];
      return w.status === 'idle' ? w : undefined;
    });
    assert.deepEqual(idle.cores.map((c) => [c.in_request, c.req_info]), [[0, {}], [0, {}]]);
  });
});

describe('the stats options', () => {
  it('stats-http answers HTTP/1.0 200 with application/json and closes; stats-minified writes one line', async (t: TestContext) => {
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--stats', '127.0.0.1:0',
      '--stats-http', '--stats-minified']);
    t.after(() => server.stop());
    const target = statsTargetFrom(server.output());
    const answer = await readUntilEof(target, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head, body] = answer.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.0 200 OK\r\n/);
    assert.match(head, /\r\nContent-Type: application\/json/);
    assert.equal(body.includes('\n'), false, 'minified: one line');
    assert.equal((JSON.parse(body) as StatsDocument).workers.length, 1);
    const viaFetch = await fetch(`http://127.0.0.1:${(target as { port: number }).port}/`);
    assert.equal(((await viaFetch.json()) as StatsDocument).pid, server.pid, 'an HTTP client reads it too');
  });

  it('stats-no-cores leaves the cores out; an abstract address works', async (t: TestContext) => {
    const name = `nuwsgi-stats-${process.pid}`;
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--stats', `@${name}`, '--stats-no-cores']);
    t.after(() => server.stop());
    const doc = await readStats({ path: '\0' + name });
    assert.equal('cores' in doc.workers[0], false);
    assert.ok('apps' in doc.workers[0]);
  });

  it('a stats address in use stops the start with a line that names the option', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const run = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--stats', `127.0.0.1:${port}`]);
      assert.notEqual(run.code, 0);
      assert.match(run.output, new RegExp(`cannot listen on --stats 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      assert.doesNotMatch(run.output, /spawned worker/, 'no worker was started');
    } finally {
      taken.close();
    }
  });

  it('clients that connect and never read cost nothing: the others are answered, and requests served', async (t: TestContext) => {
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--stats', '127.0.0.1:0']);
    t.after(() => server.stop());
    const target = statsTargetFrom(server.output()) as { port: number };
    const idle: net.Socket[] = [];
    t.after(() => { for (const s of idle) s.destroy(); });
    for (let i = 0; i < 200; i++) {
      const s = net.connect(target.port, '127.0.0.1');
      s.on('error', () => {});
      s.pause();
      idle.push(s);
    }
    assert.equal((await fetch(`${server.url}/ok`)).status, 200);
    const doc = await eventually('a reader gets the document', async () => {
      try {
        return await readStats(target);
      } catch {
        return undefined;
      }
    });
    assert.equal(doc.pid, server.pid);
  });
});

describe('the stats document against Debian uWSGI', () => {
  it("has uWSGI's keys, in uWSGI's order, with uWSGI's types (integers everywhere uWSGI has them)", async (t: TestContext) => {
    const uwsgi = needUwsgi(t);
    if (uwsgi === undefined) return;
    const dir = tempDir();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const oracle = await startUwsgiOracle(uwsgi, {
      socket: path.join(dir, 'uwsgi.sock'), wsgiFile: errorsApp, args: ['--stats', path.join(dir, 'uwsgi-stats.sock')],
    });
    t.after(() => oracle.stop());
    const server = await startServer(['--http', '127.0.0.1:0', '--socket', path.join(dir, 'nuwsgi.sock'), '--wsgi-file', errorsApp,
      '--stats', path.join(dir, 'nuwsgi-stats.sock')]);
    t.after(() => server.stop());
    // uWSGI leaves SCRIPT_NAME out when nginx sends none, which the validator refuses (uwsgi-oracle.ts).
    await uwsgiRequest({ path: path.join(dir, 'uwsgi.sock') }, [...nginxVars({ uri: '/ok' }), ['SCRIPT_NAME', '']]);
    await uwsgiRequest({ path: path.join(dir, 'nuwsgi.sock') }, nginxVars({ uri: '/ok' }));
    const theirs = await eventually('uWSGI stats', async () => {
      try { return await readStats({ path: path.join(dir, 'uwsgi-stats.sock') }); } catch { return undefined; }
    });
    const ours = await readStats({ path: path.join(dir, 'nuwsgi-stats.sock') });
    // uWSGI's lock table names its internal locks, which nuwsgi does not have; uWSGI has no zygote
    // (its master is one), which nuwsgi adds after uWSGI's keys.
    delete theirs.locks;
    assert.deepEqual(Object.keys(ours).slice(-2), ['workers', 'zygote']);
    delete ours.zygote;
    assert.deepEqual(shapeOf(ours), shapeOf(theirs));
  });

  it('is read by a Python client the way uwsgitop reads it', async (t: TestContext) => {
    const dir = tempDir();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const socket = path.join(dir, 'stats.sock');
    const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--processes', '2', '--stats', socket]);
    t.after(() => server.stop());
    // What uwsgitop reads of the document: it connects, reads until EOF, json.loads, then these keys.
    const script = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
js = ''
while True:
    data = s.recv(4096)
    if len(data) < 1:
        break
    js += data.decode('utf8', 'ignore')
dd = json.loads(js)
print(dd['version'], dd.get('listen_queue', 0), dd['cwd'], dd['uid'], dd['gid'], dd['pid'])
for w in dd['workers']:
    print(w['id'], w['pid'], w['requests'], w['exceptions'], w.get('signals', 0), w['status'],
          int(w['avg_rt']) / 1000, w['rss'], w['vsz'], w['tx'], w['respawn_count'], w['harakiri_count'],
          int(w['running_time']) / 1000, w['last_spawn'], [(c['id'], c['requests'], c['in_request']) for c in w['cores']])
`;
    const output = await new Promise<string>((resolve, reject) => {
      execFile('python3', ['-c', script, socket], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)));
    });
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], new RegExp(` ${server.pid}$`));
    assert.match(lines[1], /^1 \d+ 0 0 0 idle /);
    assert.match(lines[2], /^2 \d+ 0 0 0 idle /);
  });
});
