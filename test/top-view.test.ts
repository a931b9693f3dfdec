// `nuwsgi top`'s pure parts, in-process: the view (columns, rates, human units, fitting the screen),
// the sample read from a stats document, the command line, the addresses, the HTTP answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTopArgs, TopUsageError } from '../src/top/args.ts';
import { sampleOf, type Sample, type WorkerSample } from '../src/top/sample.ts';
import { frameSequence } from '../src/top/screen.ts';
import { httpBody, parseStatsTarget } from '../src/top/stats-client.ts';
import { fit, formatMs, humanBytes, renderError, renderView } from '../src/top/view.ts';

function worker(id: number, fields: Partial<WorkerSample> = {}): WorkerSample {
  return {
    id, pid: 1000 + id, status: 'idle', requests: 0, avgRtUs: 0, tx: 0, rss: 0, vsz: 0, exceptions: 0,
    harakiri: 0, respawns: 1, busyCores: 0, cores: 1, ...fields,
  };
}

function sample(workers: WorkerSample[], fields: Partial<Sample> = {}): Sample {
  return { version: '2.0.21', pid: 999, listenQueue: 0, listenQueueMax: 100, listenQueueErrors: 0, load: 0, workers, zygote: undefined, ...fields };
}

const wide = { address: ':9191', columns: 200, rows: 50 };

/** The cells of the worker row whose first cell is `id`, by column title. */
function row(lines: string[], id: number): Record<string, string> {
  const titles = lines.find((line) => line.trimStart().startsWith('WID'))!.trim().split(/\s{1,}/);
  // "AVG ms" is one title of two words.
  const merged = titles.flatMap((t, i) => (t === 'ms' ? [] : titles[i + 1] === 'ms' ? [`${t} ms`] : [t]));
  const line = lines.slice(4).find((candidate) => candidate.trim().split(/\s+/)[0] === String(id));
  assert.ok(line !== undefined, `no row for worker ${id} in:\n${lines.join('\n')}`);
  const cells = line.trim().split(/\s+/);
  return Object.fromEntries(merged.map((title, i) => [title, cells[i]]));
}

describe('the view', () => {
  it('shows the header and one row per worker, with every column', () => {
    const current = sample([
      worker(1, { requests: 120, avgRtUs: 4250, tx: 1536, rss: 25 * 1024 * 1024, vsz: 3 * 1024 ** 3, exceptions: 2, harakiri: 1, respawns: 3, busyCores: 1, cores: 4, status: 'busy' }),
      worker(2, { requests: 80, status: 'idle' }),
    ], { listenQueue: 3, listenQueueMax: 100, listenQueueErrors: 7, load: 3 });
    const lines = renderView({ ...wide, previous: undefined, current, intervalS: 0 });
    assert.equal(lines[0], ':9191 - version 2.0.21 - pid 999 - workers 2');
    assert.equal(lines[1], 'req/s - - requests 200 - listen queue 3/100 (refused 7) - respawns 2 - load 3');
    assert.deepEqual(row(lines, 1), {
      WID: '1', PID: '1001', STATUS: 'busy', REQ: '120', 'REQ/S': '-', 'AVG ms': '4.25', TX: '1.5K', RSS: '25.0M',
      VSZ: '3.0G', EXC: '2', HARA: '1', RESP: '3', BUSY: '1/4',
    });
    assert.equal(row(lines, 2).STATUS, 'idle');
    assert.equal(lines.length, 6);
  });

  it("names nuwsgi's zygote in the header, its pid, state and RSS, or - while there is none", () => {
    const ready = renderView({ ...wide, previous: undefined, intervalS: 0,
      current: sample([worker(1)], { zygote: { pid: 1234, status: 'ready', rss: 33 * 1024 * 1024 } }) });
    assert.equal(ready[0], ':9191 - version 2.0.21 - pid 999 - workers 1 - zygote 1234 ready 33.0M');
    const none = renderView({ ...wide, previous: undefined, intervalS: 0,
      current: sample([worker(1)], { zygote: { pid: 0, status: 'cheap', rss: 0 } }) });
    assert.equal(none[0], ':9191 - version 2.0.21 - pid 999 - workers 1 - zygote - cheap');
  });

  it('computes the rates from the previous sample and the interval, per worker and in total', () => {
    const previous = sample([worker(1, { requests: 100 }), worker(2, { requests: 50 })]);
    const current = sample([worker(1, { requests: 130 }), worker(2, { requests: 50 }), worker(3, { requests: 4 })]);
    const lines = renderView({ ...wide, previous, current, intervalS: 2 });
    assert.equal(row(lines, 1)['REQ/S'], '15.0');
    assert.equal(row(lines, 2)['REQ/S'], '0.0');
    assert.equal(row(lines, 3)['REQ/S'], '-', 'a worker id not in the previous sample has no rate yet');
    assert.match(lines[1], /^req\/s 15\.0 - requests 184 /);
  });

  it("counts a respawned uWSGI worker's requests from 0 again, not as a negative rate", () => {
    const previous = sample([worker(1, { requests: 500 })]);
    const current = sample([worker(1, { requests: 6, pid: 4242 })]);
    const lines = renderView({ ...wide, previous, current, intervalS: 1 });
    assert.equal(row(lines, 1)['REQ/S'], '6.0');
    assert.equal(row(lines, 1).PID, '4242');
  });

  it('shows - for the busy cores of a document without cores, and for a worker id being respawned', () => {
    const lines = renderView({ ...wide, previous: undefined, current: sample([worker(1, { cores: undefined, busyCores: undefined, pid: 0, status: 'cheap' })]), intervalS: 0 });
    assert.equal(row(lines, 1).BUSY, '-');
    assert.equal(row(lines, 1).PID, '-');
    assert.equal(row(lines, 1).STATUS, 'cheap');
  });

  it('truncates every line to the width', () => {
    const lines = renderView({ address: ':9191', columns: 30, rows: 50, previous: undefined, current: sample([worker(1), worker(2)]), intervalS: 0 });
    assert.ok(lines.every((line) => line.length <= 30));
    assert.equal(lines[0], ':9191 - version 2.0.21 - pid 9');
    assert.equal(lines.length, 6);
  });

  it('leaves the last row of the screen free, and says how many workers did not fit', () => {
    const workers = Array.from({ length: 40 }, (_, i) => worker(i + 1));
    const lines = renderView({ address: ':9191', columns: 120, rows: 12, previous: undefined, current: sample(workers), intervalS: 0 });
    assert.equal(lines.length, 11);
    assert.equal(row(lines, 6).WID, '6');
    assert.equal(lines[9].trim().split(/\s+/)[0], '6');
    assert.ok(!lines.slice(4).some((line) => line.trim().startsWith('7 ')));
    assert.equal(lines[10], '... 34 more (a taller terminal shows them)');
    const exact = renderView({ address: ':9191', columns: 120, rows: 7, previous: undefined, current: sample(workers.slice(0, 2)), intervalS: 0 });
    assert.equal(exact.length, 6, 'four header lines and two workers fit in seven rows');
  });

  it('keeps the header on a screen too small for anything else', () => {
    assert.deepEqual(fit(['a', 'b', 'c', 'd', 'w1', 'w2'], 4, 80, 3), ['a', 'b']);
    assert.deepEqual(fit(['a', 'b', 'c', 'd', 'w1', 'w2'], 4, 80, 6), ['a', 'b', 'c', 'd', '... 2 more (a taller terminal shows them)']);
    assert.deepEqual(fit(['a', 'b'], 1, Infinity, Infinity), ['a', 'b']);
  });

  it('shows the problem on top of the last frame while the server cannot be read', () => {
    const lines = renderError('/run/app-stats.sock', 'ECONNREFUSED', ['old 1', 'old 2'], 80, 24);
    assert.deepEqual(lines, ['cannot read stats from /run/app-stats.sock: ECONNREFUSED (retrying)', '', 'old 1', 'old 2']);
    assert.deepEqual(renderError(':1', 'ENOENT', [], 20, 24), ['cannot read stats fr']);
  });

  it('writes sizes in powers of 1024 and times in milliseconds', () => {
    assert.deepEqual([0, 1023, 1024, 1536, 150 * 1024, 23.4 * 1024 * 1024, 2 * 1024 ** 3, 5 * 1024 ** 4].map(humanBytes),
      ['0B', '1023B', '1.0K', '1.5K', '150K', '23.4M', '2.0G', '5.0T']);
    assert.deepEqual([0, 420, 12_345, 1_500_000].map(formatMs), ['0.00', '0.42', '12.3', '1500']);
  });
});

describe('a sample of a stats document', () => {
  it("reads uWSGI's keys, counts the busy cores and the largest backlog, and takes a missing value as 0", () => {
    const s = sampleOf({
      version: '2.0.21-debian', pid: 7, listen_queue: 2, listen_queue_errors: 1, load: 2,
      sockets: [{ max_queue: 100 }, { max_queue: 128 }],
      workers: [
        { id: 1, pid: 8, status: 'busy', requests: 5, avg_rt: 900, tx: 10, rss: 1, vsz: 2, exceptions: 0, harakiri_count: 0, respawn_count: 1,
          cores: [{ in_request: 1 }, { in_request: 0 }] },
        { id: 2, status: 'idle' },
      ],
    });
    assert.equal(s.listenQueueMax, 128);
    assert.deepEqual([s.workers[0].busyCores, s.workers[0].cores], [1, 2]);
    assert.deepEqual([s.workers[1].pid, s.workers[1].requests, s.workers[1].cores], [0, 0, undefined]);
    assert.equal(s.zygote, undefined);
  });

  it("reads nuwsgi's zygote entry, and takes null (lazy-apps) as none", () => {
    const doc = { workers: [], zygote: { pid: 42, status: 'ready', rss: 2048, vsz: 1, last_spawn: 1, respawn_count: 1 } };
    assert.deepEqual(sampleOf(doc).zygote, { pid: 42, status: 'ready', rss: 2048 });
    assert.equal(sampleOf({ workers: [], zygote: null }).zygote, undefined);
  });

  it('refuses an answer that is not a stats document', () => {
    assert.throws(() => sampleOf({ hello: 1 }), /no workers/);
    assert.throws(() => sampleOf([1, 2]), /no workers/);
  });
});

describe("top's command line", () => {
  const run = (args: string[]) => {
    const command = parseTopArgs(args);
    assert.equal(command.kind, 'run');
    return command as Extract<typeof command, { kind: 'run' }>;
  };

  it('takes ADDR in the forms of --stats, and http:// for stats-http', () => {
    assert.deepEqual(parseStatsTarget('127.0.0.1:9191'), { kind: 'tcp', host: '127.0.0.1', port: 9191, http: false, label: '127.0.0.1:9191' });
    assert.deepEqual(parseStatsTarget(':9191'), { kind: 'tcp', host: '127.0.0.1', port: 9191, http: false, label: ':9191' });
    assert.deepEqual(parseStatsTarget('[::1]:9191'), { kind: 'tcp', host: '::1', port: 9191, http: false, label: '[::1]:9191' });
    assert.deepEqual(parseStatsTarget('/run/app/stats.sock'), { kind: 'unix', path: '/run/app/stats.sock', http: false, label: '/run/app/stats.sock' });
    assert.deepEqual(parseStatsTarget('@app-stats'), { kind: 'unix', path: '\0app-stats', http: false, label: '@app-stats' });
    assert.deepEqual(parseStatsTarget('http://localhost:9191/'), { kind: 'tcp', host: 'localhost', port: 9191, http: true, label: 'http://localhost:9191/' });
  });

  it('refuses a bad ADDR with the reason, as a usage error', () => {
    for (const [args, message] of [
      [[], /no ADDR/],
      [['9191'], /for TCP port 9191 write :9191/],
      [['host:99999'], /no valid port/],
      [['@'], /names no abstract socket/],
      [['https://h:1'], /not HTTPS/],
      [['http://h'], /no valid HOST:PORT/],
      [[':1', ':2'], /one ADDR only/],
      [['--frobnicate', ':1'], /unknown option --frobnicate/],
      [['-i', 'x', ':1'], /--interval x: expected seconds/],
      [['--interval=0', ':1'], /expected seconds from 0\.1/],
      [[':1', '-i'], /--interval needs a number/],
    ] as const) {
      assert.throws(() => parseTopArgs(args), (err: Error) => err instanceof TopUsageError && message.test(err.message), args.join(' '));
    }
  });

  it('reads --interval in its spellings, and --once, --help', () => {
    assert.equal(run([':1']).intervalMs, 1000);
    assert.equal(run(['-i', '2', ':1']).intervalMs, 2000);
    assert.equal(run(['-i0.5', ':1']).intervalMs, 500);
    assert.equal(run([':1', '--interval=0.25']).intervalMs, 250);
    assert.equal(run(['--interval', '3', ':1']).once, false);
    assert.equal(run(['--once', ':1']).once, true);
    assert.deepEqual(parseTopArgs(['--help']), { kind: 'help' });
  });
});

describe('the screen and the HTTP answer', () => {
  it('draws a frame from the top left, clearing each line to its end and the screen below', () => {
    assert.equal(frameSequence(['a', 'b']), '\x1b[Ha\x1b[K\r\nb\x1b[K\r\n\x1b[J');
  });

  it("takes the body of a stats-http server's 200, and refuses anything else", () => {
    assert.equal(httpBody('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"a":1}'), '{"a":1}');
    assert.equal(httpBody('HTTP/1.1 200 OK\n\n{}'), '{}');
    assert.throws(() => httpBody('HTTP/1.0 404 Not Found\r\n\r\n'), /answered 404 Not Found/);
    assert.throws(() => httpBody('{"version": "2.0"}'), /no HTTP head/);
  });
});
