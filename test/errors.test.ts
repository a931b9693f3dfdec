// Application errors, worker deaths and startup failures: each one gets a clear answer and a clear
// log, and never takes the server down.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, runToExit, startServer, type RunningServer } from './helpers/server.ts';
import {
  RawClient, header, httpRequest, isAlive, parseResponse, stopServer, tempDir, waitFor, workerPids, type RawResponse,
} from './helpers/wire.ts';

const errorsApp = path.join(fixtureApps, 'errors.py');

async function get(port: number, target: string): Promise<RawResponse> {
  const c = await RawClient.connect(port);
  try {
    c.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
    return await c.readResponse();
  } finally {
    c.close();
  }
}

/** Requests `target` and expects the connection to be cut after the head: a truncated response. */
async function expectTruncated(port: number, target: string, firstChunk = 'first chunk;') {
  const c = await RawClient.connect(port);
  try {
    c.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const data = await c.readToEnd(10_000);
    const parsed = parseResponse(data, { eof: true });
    assert.ok(parsed, `a head was sent; got ${JSON.stringify(data.toString('latin1'))}`);
    const r = parsed.response;
    assert.equal(r.statusCode, 200);
    assert.equal(r.complete, false,
      `never a complete response after an error in the middle of the body; got:\n${data.toString('latin1')}`);
    assert.ok(r.body.toString().startsWith(firstChunk), `the first chunk was sent: ${JSON.stringify(r.body.toString())}`);
  } finally {
    c.close();
  }
}

describe('application exceptions (errors app)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp]);
  });
  after(() => stopServer(server));

  it('answers 500 to an exception before start_response; the traceback goes to the log, not the body', async () => {
    const r = await get(server.port, '/before');
    assert.equal(r.statusCode, 500);
    const body = r.body.toString();
    assert.equal(body.includes('Traceback'), false, `no traceback in the body: ${body}`);
    assert.equal(body.includes('nuwsgi-test-marker'), false, `no exception text in the body: ${body}`);
    await server.waitForOutput(/Traceback[\s\S]*nuwsgi-test-marker: raised before start_response/, 5_000);
  });

  for (const target of ['/after_start', '/first_next']) {
    it(`answers 500 to an exception before any body was produced (${target})`, async () => {
      const r = await get(server.port, target);
      assert.equal(r.statusCode, 500);
      assert.equal(r.body.toString().includes('Traceback'), false);
    });
  }

  it('cuts the connection when the app raises after the first chunk (chunked)', async () => {
    await expectTruncated(server.port, '/midstream');
    await server.waitForOutput(/nuwsgi-test-marker: raised after the first chunk/, 5_000);
  });

  it('cuts the connection when the app raises after the first chunk (Content-Length)', async () => {
    await expectTruncated(server.port, '/midstream_cl');
  });

  for (const target of ['/bad_status', '/bad_header', '/bad_header_name', '/non_latin1']) {
    it(`answers 500 and injects nothing for ${target}`, async () => {
      const r = await get(server.port, target);
      assert.equal(r.statusCode, 500, `got:\n${r.headText}`);
      assert.equal(header(r, 'x-injected'), undefined);
      assert.equal(r.body.toString().includes('must never be sent'), false);
    });
  }

  it('keeps serving after all that', async () => {
    const r = await httpRequest(`${server.url}/ok`);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
  });
});

describe('start_response checks without the validator (--callable unvalidated_application)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--callable', 'unvalidated_application']);
  });
  after(() => stopServer(server));

  for (const target of ['/bad_status', '/bad_header', '/bad_header_name', '/non_latin1']) {
    it(`the server itself refuses ${target}: 500, nothing injected`, async () => {
      const r = await get(server.port, target);
      assert.equal(r.statusCode, 500, `got:\n${r.headText}`);
      assert.equal(header(r, 'x-injected'), undefined);
      assert.equal(r.body.toString().includes('must never be sent'), false);
    });
  }
});

describe('--catch-exceptions', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', errorsApp, '--catch-exceptions']);
  });
  after(() => stopServer(server));

  it('shows the traceback in the body of the 500', async () => {
    const r = await get(server.port, '/before');
    assert.equal(r.statusCode, 500);
    const body = r.body.toString();
    assert.match(body, /Traceback/);
    assert.match(body, /nuwsgi-test-marker: raised before start_response/);
  });
});

describe('a worker killed in the middle of a request (crash app, -p 2)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'crash.py'), '-p', '2']);
  });
  after(() => stopServer(server));

  /** Waits until one of `pids` is dead and returns it. */
  async function deadOne(pids: number[]): Promise<number> {
    await waitFor(() => pids.some((p) => !isAlive(p)), 10_000, `one of the workers ${pids.join(', ')} to die`);
    return pids.find((p) => !isAlive(p))!;
  }

  /** Waits until the server reports a worker with a pid that is not in `known`. */
  async function respawned(known: number[]): Promise<number> {
    await waitFor(() => workerPids(server.output()).some((w) => !known.includes(w.pid)), 10_000, 'a respawned worker');
    return workerPids(server.output()).find((w) => !known.includes(w.pid))!.pid;
  }

  /** Log lines naming the worker that had `pid` (by its pid, or by its worker number). */
  function linesAbout(pid: number): string[] {
    const id = workerPids(server.output()).find((w) => w.pid === pid)?.id;
    const re = new RegExp(`\\b${pid}\\b` + (id !== undefined ? `|worker ${id}\\b` : ''));
    // request log lines ("GET /exit?code=3 => ...") do not count
    return server.output().split('\n').filter((l) => re.test(l) && !/ \/(kill|exit|sleep)\b/.test(l));
  }

  it('answers 502 to the request of a SIGKILLed worker, serves the others, logs the signal, respawns', async () => {
    const initial = workerPids(server.output()).map((w) => w.pid);
    assert.equal(initial.length, 2, `two "spawned worker" lines expected:\n${server.output()}`);
    const slow = httpRequest(`${server.url}/sleep?s=2`);
    const killed = await httpRequest(`${server.url}/kill`);
    assert.equal(killed.status, 502);
    const other = await slow;
    assert.equal(other.status, 200, 'the request on the other worker completed');
    const dead = await deadOne(initial);
    assert.equal(other.body.toString() === String(dead), false, 'the slow request ran on the surviving worker');
    await waitFor(() => linesAbout(dead).some((l) => /signal\D{0,3}9\b|SIGKILL/i.test(l)), 5_000,
      `a log line saying worker ${dead} was killed by signal 9; output:\n${server.output()}`);
    const fresh = await respawned(initial);
    assert.ok(isAlive(fresh), 'the respawned worker is running');
    for (let i = 0; i < 4; i++) {
      const r = await httpRequest(`${server.url}/`);
      assert.equal(r.status, 200);
    }
  });

  it('answers 502 when the worker exits with a code, and logs the code', async () => {
    const known = workerPids(server.output()).map((w) => w.pid);
    const before = known.filter(isAlive);
    assert.equal(before.length, 2);
    const r = await httpRequest(`${server.url}/exit?code=3`);
    assert.equal(r.status, 502);
    const dead = await deadOne(before);
    await waitFor(() => linesAbout(dead).some((l) => /(exit|code|status)[^0-9\n]{0,20}\b3\b/i.test(l)), 5_000,
      `a log line saying worker ${dead} exited with code 3; output:\n${server.output()}`);
    await respawned(known);
    const ok = await httpRequest(`${server.url}/`);
    assert.equal(ok.status, 200);
  });

  it('cuts the connection when the worker dies after the head was sent', async () => {
    const known = workerPids(server.output()).map((w) => w.pid);
    await expectTruncated(server.port, '/kill_midstream');
    await respawned(known);
    const ok = await httpRequest(`${server.url}/`);
    assert.equal(ok.status, 200);
  });
});

describe('startup failures', () => {
  it('exits non-zero with the Python traceback when the app fails to import', async () => {
    const { code, output } = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'import_error.py')]);
    assert.notEqual(code, 0, output);
    assert.notEqual(code, null, `killed by a signal instead of exiting: ${output}`);
    assert.match(output, /Traceback/);
    assert.match(output, /ModuleNotFoundError.*nuwsgi_test_module_that_does_not_exist/);
  });

  it('exits non-zero with one clear line for --home /nonexistent', async () => {
    const { code, output } = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py'),
      '--home', '/nonexistent/nuwsgi-venv']);
    assert.notEqual(code, 0, output);
    assert.notEqual(code, null, `killed by a signal instead of exiting: ${output}`);
    const lines = output.split('\n').filter((l) => l.includes('/nonexistent/nuwsgi-venv'));
    assert.ok(lines.length >= 1, `a line names the missing home:\n${output}`);
    assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, `no JavaScript stack trace:\n${output}`);
    assert.doesNotMatch(output, /Traceback/, `no Python traceback:\n${output}`);
  });

  it('exits non-zero with one clear line when no python3 is on PATH', async () => {
    const emptyBin = tempDir();
    const { code, output } = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py')],
      { env: { PATH: emptyBin } });
    assert.equal(code, 1, output);
    assert.match(output, /no python3 on PATH: install Python >= 3\.8, or point --home at a virtualenv/);
    assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, `no JavaScript stack trace:\n${output}`);
  });

  it('exits non-zero with one clear line when --home is a directory without an interpreter', async () => {
    const notAVenv = tempDir();
    const { code, output } = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py'),
      '--home', notAVenv]);
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`--home ${notAVenv}: no Python interpreter at ${notAVenv}/bin/python3 \\(is it a virtualenv\\?\\)`));
  });
});
