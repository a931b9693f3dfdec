// The Prometheus endpoint (`--metrics`, and /metrics on a stats-http server), read by Prometheus's
// own text parser (Debian's python3-prometheus-client): uwsgi_exporter's families with its labels,
// what the exporter cannot give, and the Node process's own, with counters that move as requests
// are served, workers die and the server reloads.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { needPythonModule, systemPython } from './helpers/peers.ts';
import { fixtureApps, runToExit, startServer, type RunningServer } from './helpers/server.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget } from './helpers/uwsgi-client.ts';
import { readStats, statsTargetFrom } from './helpers/stats.ts';
import { eventually } from './helpers/wire.ts';

const app = path.join(fixtureApps, 'errors.py');

/** uwsgi_exporter's sample names (pkg/collector/exporter.go), each with the labels it puts on it. */
const EXPORTER_SAMPLES: Record<string, string[]> = {
  uwsgi_listen_queue_length: [], uwsgi_listen_queue_errors: [], uwsgi_signal_queue_length: [], uwsgi_workers: [],
  uwsgi_socket_queue_length: ['name', 'proto'], uwsgi_socket_max_queue_length: ['name', 'proto'],
  uwsgi_socket_shared: ['name', 'proto'], uwsgi_socket_can_offload: ['name', 'proto'],
  uwsgi_worker_accepting: ['worker_id'], uwsgi_worker_delta_requests: ['worker_id'],
  uwsgi_worker_signal_queue_length: ['worker_id'], uwsgi_worker_rss_bytes: ['worker_id'], uwsgi_worker_vsz_bytes: ['worker_id'],
  uwsgi_worker_running_time_seconds: ['worker_id'], uwsgi_worker_last_spawn_time_seconds: ['worker_id'],
  uwsgi_worker_average_response_time_seconds: ['worker_id'], uwsgi_worker_apps: ['worker_id'], uwsgi_worker_cores: ['worker_id'],
  uwsgi_worker_busy: ['worker_id'], uwsgi_worker_idle: ['worker_id'], uwsgi_worker_cheap: ['worker_id'],
  uwsgi_worker_requests_total: ['worker_id'], uwsgi_worker_exceptions_total: ['worker_id'],
  uwsgi_worker_harakiri_count_total: ['worker_id'], uwsgi_worker_signals_total: ['worker_id'],
  uwsgi_worker_respawn_count_total: ['worker_id'], uwsgi_worker_transmitted_bytes_total: ['worker_id'],
  uwsgi_worker_app_startup_time_seconds: ['app_id', 'chdir', 'mountpoint', 'worker_id'],
  uwsgi_worker_app_requests_total: ['app_id', 'chdir', 'mountpoint', 'worker_id'],
  uwsgi_worker_app_exceptions_total: ['app_id', 'chdir', 'mountpoint', 'worker_id'],
  uwsgi_worker_core_busy: ['core_id', 'worker_id'], uwsgi_worker_core_requests_total: ['core_id', 'worker_id'],
  uwsgi_worker_core_static_requests_total: ['core_id', 'worker_id'], uwsgi_worker_core_routed_requests_total: ['core_id', 'worker_id'],
  uwsgi_worker_core_offloaded_requests_total: ['core_id', 'worker_id'], uwsgi_worker_core_write_errors_total: ['core_id', 'worker_id'],
  uwsgi_worker_core_read_errors_total: ['core_id', 'worker_id'], uwsgi_up: [],
};

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Family { name: string; type: string; samples: Sample[] }

/** Parses the exposition text with prometheus_client's parser, which throws on anything malformed. */
function parse(text: string): Promise<Family[]> {
  const script = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = [{'name': f.name, 'type': f.type, 'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value} for s in f.samples]}
       for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(out))
`;
  return new Promise((resolve, reject) => {
    const child = execFile(systemPython, ['-c', script], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(JSON.parse(stdout))));
    child.stdin!.end(text);
  });
}

function samples(families: Family[], name: string): Sample[] {
  return families.flatMap((f) => f.samples).filter((s) => s.name === name);
}

function total(families: Family[], name: string, labels: Record<string, string> = {}): number {
  return samples(families, name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}


describe('the metrics endpoint', () => {
  let dir: string;
  let server: RunningServer;
  let metricsUrl: string;
  let parserMissing = false;
  const scrape = async () => parse(await (await fetch(metricsUrl)).text());

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuwsgi-metrics-'));
    server = await startServer(['--http', '127.0.0.1:0', '--socket', path.join(dir, 'app.sock'), '--wsgi-file', app,
      '--master', '--processes', '2', '--metrics', '127.0.0.1:0', '--stats', path.join(dir, 'stats.sock'), '--stats-http']);
    metricsUrl = `${/Prometheus metrics on (\S+)/.exec(server.output())![1]}`;
  });
  after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function needParser(t: TestContext): Promise<boolean> {
    if (parserMissing) return false;
    parserMissing = !(await needPythonModule(t, 'prometheus_client', 'python3-prometheus-client'));
    return !parserMissing;
  }

  it("has every family of uwsgi_exporter, with its labels, parsed by Prometheus's parser", async (t: TestContext) => {
    if (!(await needParser(t))) return;
    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const families = parse(await response.text());
    for (const [name, labels] of Object.entries(EXPORTER_SAMPLES)) {
      const found = samples(await families, name);
      assert.ok(found.length > 0, `${name} is exported`);
      for (const sample of found) assert.deepEqual(Object.keys(sample.labels).sort(), labels, `${name}'s labels`);
    }
    assert.deepEqual(samples(await families, 'uwsgi_worker_requests_total').map((s) => s.labels.worker_id).sort(), ['1', '2']);
    const types = new Map((await families).map((f) => [f.name, f.type]));
    assert.equal(types.get('uwsgi_worker_requests'), 'counter');
    assert.equal(types.get('uwsgi_worker_rss_bytes'), 'gauge');
    assert.equal(types.get('nuwsgi_request_duration_seconds'), 'histogram');
  });

  it("has the Node process's own metrics", async (t: TestContext) => {
    if (!(await needParser(t))) return;
    const families = await scrape();
    assert.ok(total(families, 'process_resident_memory_bytes') > 1024 * 1024);
    assert.ok(samples(families, 'nodejs_eventloop_lag_seconds').length === 1);
  });

  it('moves the counters and the duration histogram as requests are served on both listeners', async (t: TestContext) => {
    if (!(await needParser(t))) return;
    const start = await scrape();
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${server.url}/ok`)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await uwsgiRequest(uwsgiTarget(server), nginxVars({ uri: '/ok' }))).statusCode, 200);
    assert.equal((await fetch(`${server.url}/before`)).status, 500);
    const families = await eventually('six requests counted', async () => {
      const now = await scrape();
      return total(now, 'uwsgi_worker_requests_total') - total(start, 'uwsgi_worker_requests_total') === 6 ? now : undefined;
    });
    const get2xx = { method: 'GET', status_class: '2xx' };
    assert.equal(total(families, 'nuwsgi_request_duration_seconds_count', get2xx) -
      total(start, 'nuwsgi_request_duration_seconds_count', get2xx), 5);
    assert.equal(total(families, 'nuwsgi_request_duration_seconds_bucket', { ...get2xx, le: '+Inf' }),
      total(families, 'nuwsgi_request_duration_seconds_count', get2xx));
    assert.equal(total(families, 'nuwsgi_request_duration_seconds_count', { method: 'GET', status_class: '5xx' }) -
      total(start, 'nuwsgi_request_duration_seconds_count', { method: 'GET', status_class: '5xx' }), 1);
    assert.equal(total(families, 'uwsgi_worker_exceptions_total') - total(start, 'uwsgi_worker_exceptions_total'), 1);
    assert.ok(total(families, 'uwsgi_worker_transmitted_bytes_total') > total(start, 'uwsgi_worker_transmitted_bytes_total'));
    assert.equal(total(families, 'uwsgi_workers'), 2);
    assert.equal(total(families, 'nuwsgi_requests_in_flight'), 0);
    assert.equal(total(families, 'nuwsgi_queue_length'), 0);
  });

  it('counts respawns by cause, and reloads', async (t: TestContext) => {
    if (!(await needParser(t))) return;
    const doc = await readStats(statsTargetFrom(server.output()), true);
    process.kill(doc.workers[1].pid, 'SIGKILL');
    await eventually('the crash counted', async () =>
      (total(await scrape(), 'nuwsgi_worker_respawns_total', { cause: 'crash' }) === 1 ? true : undefined));
    process.kill(server.pid, 'SIGHUP');
    const families = await eventually('the reload counted', async () => {
      const now = await scrape();
      return total(now, 'nuwsgi_reloads_total', { kind: 'graceful' }) === 1 &&
        total(now, 'nuwsgi_worker_respawns_total', { cause: 'reload' }) === 2 ? now : undefined;
    });
    assert.equal(total(families, 'uwsgi_worker_respawn_count_total', { worker_id: '2' }), 3, 'spawn, crash, reload');
  });

  it('answers /metrics on the stats-http server too, and 404 elsewhere', async (t: TestContext) => {
    if (!(await needParser(t))) return;
    const socket = path.join(dir, 'stats.sock');
    const text = await new Promise<string>((resolve, reject) => {
      const c = net.connect(socket, () => c.write('GET /metrics HTTP/1.0\r\n\r\n'));
      let data = '';
      c.on('data', (chunk) => { data += chunk.toString(); });
      c.on('end', () => resolve(data));
      c.on('error', reject);
    });
    assert.match(text, /^HTTP\/1\.0 200 OK\r\nContent-Type: text\/plain; version=0\.0\.4/);
    assert.ok(samples(await parse(text.split('\r\n\r\n')[1]), 'uwsgi_worker_requests_total').length > 0);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/'))).status, 404);
  });
});

describe('a metrics address in use', () => {
  it('stops the start with a line that names the option', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const run = await runToExit(['--http', '127.0.0.1:0', '--wsgi-file', app, '--metrics', `127.0.0.1:${port}`]);
      assert.notEqual(run.code, 0);
      assert.match(run.output, new RegExp(`cannot listen on --metrics 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      taken.close();
    }
  });
});
