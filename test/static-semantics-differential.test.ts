// The worker's static-file semantics (python/nuwsgi_worker/static_http.py, static_js.py) against
// the master's own (src/router/static/respond.ts with fresh, range-parser and etag; accepts of
// files.ts; node's Date): thousands of generated requests, and files with awkward modification
// times, evaluated on both sides and compared case by case. The worker mirrors those npm packages
// by hand, so this is what tells when an upgrade of one of them, or an edit on either side, makes
// the two disagree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import etag from 'etag';
import rangeParser from 'range-parser';
import { accepts } from '../src/router/static/files.ts';
import { respondWithFile, type FileMeta } from '../src/router/static/respond.ts';
import { repoRoot } from './helpers/server.ts';
import { tempDir } from './helpers/wire.ts';

/** Runs `code` in python3 with the worker's package importable, `input` as JSON on stdin; its JSON stdout. */
function python<T>(code: string, input: unknown): T {
  const result = spawnSync('python3', ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(path.join(repoRoot, 'python'))})\n${code}`], {
    input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`could not run python3: ${result.error.message}`);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

/** A small deterministic generator, so that a failure names a case that comes back. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] };
}

describe('static-file semantics: the worker agrees with the master', () => {
  const dir = tempDir();
  // seconds with a fraction: the kernel keeps nanoseconds, which node rounds to the ms for its Date
  const mtimes = [1445412480.1235, 1445412480.9996, 1445412480.0004, 0, -1.5, 253402300799.5, 1e9 + 0.5];
  const files = mtimes.map((_, i) => path.join(dir, `f${i}`));

  before(() => {
    files.forEach((file, i) => {
      fs.writeFileSync(file, 'x'.repeat(i * 333));
      fs.utimesSync(file, 0, mtimes[i]);
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("gives a file the etag package's ETag and node's Last-Modified and mtimeMs", () => {
    const want = files.map((file) => {
      const stat = fs.statSync(file);
      return [etag(stat), stat.mtime.toUTCString(), stat.mtimeMs];
    });
    const got = python<unknown[]>(`
import json, os
from nuwsgi_worker.static_http import FileMeta
metas = [FileMeta(os.stat(f), 'x') for f in json.load(sys.stdin)]
print(json.dumps([[m.etag, m.last_modified, m.mtime_ms] for m in metas]))`, files);
    assert.deepEqual(got, want);
  });

  it('writes dates as toUTCString does', () => {
    const g = generator(1);
    const times = [0, -1, -0.5, 8.64e15, -8.64e15, 8.64e15 + 1, -62198755200000, 1e15];
    for (let i = 0; i < 2000; i++) times.push(Math.floor((g.next() - 0.5) * 2 * (i % 3 === 0 ? 8.64e15 : 8.64e12)));
    const got = python<string[]>(`
import json
from nuwsgi_worker.static_js import js_utc_string
print(json.dumps([js_utc_string(ms) for ms in json.load(sys.stdin)]))`, times);
    times.forEach((ms, i) => assert.equal(got[i], new Date(ms).toUTCString(), `new Date(${ms})`));
  });

  it("reads HTTP's dates as Date.parse does, and what it cannot read as no date", () => {
    const exact = [
      'Wed, 21 Oct 2015 07:28:00 GMT', 'wed, 21 oct 2015 07:28:00 gmt', 'Wednesday, 21-Oct-15 07:28:00 GMT',
      'Wed Oct 21 07:28:00 2015', 'Sun Nov  6 08:49:37 1994', 'Wed, 21 Oct 2015 07:28:00 +0130',
      'Wed, 21 Oct 2015 07:28:00 GMT-0200', 'Wed, 21 Oct 2015 07:28:00 UTC', 'Wed, 21 Oct 2015 07:28:00Z',
      'Wed, 21 Oct 2015 07:28 GMT', '21 Oct 2015 07:28:00 GMT', 'Wed, 31 Apr 2015 07:28:00 GMT',
      'Wed, 21 Oct 49 07:28:00 GMT', 'Wed, 21 Oct 50 07:28:00 GMT', 'Wed, 21 Oct 2015 07:28:00',
      '2015-10-21', '2015-10-21T07:28:00.5Z', '2015-10-21T07:28:00+01:00', '2015-10-21T24:00:00Z', '2015-10',
      'garbage', '', 'Wed, 32 Oct 2015 07:28:00 GMT', 'Wed, 21 Oct 2015 24:28:00 GMT', 'Wed, 21 Oct 2015 07:28:00 GMT x',
      'Wed, 21 Oct 2015 07:28:00GMT', '2015-13-01', '2015-10-21T24:00:01Z',
    ];
    // forms V8 reads and the worker does not: they must come out as no date, never as another one
    const lenient = ['Wed, 21 Oct 2015 07:28:00 PST', ' 2015-10-21', 'Oct 21 2015', '1', 'Wed, 21 Oct 2015 7:8:9 GMT',
      'Wed, 21 Oct 2015 12:28:00 PM GMT', 'Foo, 21 Oct 2015 07:28:00 GMT', '(x) Wed, 21 Oct 2015 07:28:00 GMT'];
    const got = python<Array<number | null>>(`
import json
from nuwsgi_worker.static_js import parse_http_date
print(json.dumps([parse_http_date(text) for text in json.load(sys.stdin)]))`, [...exact, ...lenient]);
    exact.forEach((text, i) => {
      const ms = Date.parse(text);
      assert.equal(got[i], Number.isNaN(ms) ? null : ms, JSON.stringify(text));
    });
    lenient.forEach((text, i) => assert.equal(got[exact.length + i], null, JSON.stringify(text)));
  });

  it('answers generated conditional and Range requests as respond.ts does', () => {
    const g = generator(2);
    const stats = files.map((file) => fs.statSync(file));
    const tags = (tag: string) => [tag, tag.slice(2), `W/${tag}`, '*', '"x"', '', ' ', ',', `"x", ${tag}`, `${tag},`, ` ${tag} `, '*, "x"'];
    const dates = (lm: string) => [lm, 'Wed, 21 Oct 2015 07:27:59 GMT', 'Thu, 01 Jan 2099 00:00:00 GMT', 'garbage', '',
      'Thu, 01 Jan 1970 00:00:00 GMT', '2015-10-21T07:28:00Z', lm.replace(' GMT', '')];
    const atoms = ['bytes', '=', '-', ',', ' ', '0', '1', '5', '10', '332', '333', '2000', '+', 'a', '\t', '00', '-5'];
    const range = () => {
      let text = g.pick(['bytes=', ' bytes=', 'items=', 'bytes=', '']);
      for (let n = 1 + Math.floor(g.next() * 6); n > 0; n--) text += g.pick(atoms);
      return text;
    };
    const nowMs = 1445412480777;
    const cases = [];
    for (let i = 0; i < 5000; i++) {
      const f = Math.floor(g.next() * files.length);
      const stat = stats[f];
      const meta: FileMeta = {
        size: stat.size, mtimeMs: stat.mtimeMs, etag: etag(stat), lastModified: stat.mtime.toUTCString(),
        contentType: 'text/plain; charset=utf-8', encoding: g.pick([null, 'br', 'gzip']), varies: g.next() < 0.5,
        expires: g.next() < 0.2 ? { seconds: g.pick([0, 60, 86400 * 365, 1e13]), fromMtime: g.next() < 0.5 } : null,
      };
      const headers: Record<string, string> = {};
      if (g.next() < 0.3) headers.HTTP_IF_NONE_MATCH = g.pick(tags(meta.etag));
      if (g.next() < 0.3) headers.HTTP_IF_MODIFIED_SINCE = g.pick(dates(meta.lastModified));
      if (g.next() < 0.15) headers.HTTP_IF_MATCH = g.pick(tags(meta.etag));
      if (g.next() < 0.15) headers.HTTP_IF_UNMODIFIED_SINCE = g.pick(dates(meta.lastModified));
      if (g.next() < 0.2) headers.HTTP_CACHE_CONTROL = g.pick(['no-cache', 'max-age=0', ' no-cache ', 'x, no-cache', 'no-cachex', 'NO-CACHE', '']);
      if (g.next() < 0.6) headers.HTTP_RANGE = range();
      if (g.next() < 0.2) headers.HTTP_IF_RANGE = g.pick([...tags(meta.etag), ...dates(meta.lastModified)]);
      const method = g.pick(['GET', 'HEAD']);
      const res = respondWithFile(method, new Map(Object.entries(headers)), meta, nowMs);
      cases.push({ file: files[f], method, headers, meta, want: [res.status, res.headers, res.start, res.length] });
    }
    const got = python<unknown[]>(`
import json, os
from nuwsgi_worker.static_http import FileMeta, respond_with_file
out = []
for case in json.load(sys.stdin):
    m = case['meta']
    expires = None if m['expires'] is None else (m['expires']['seconds'], m['expires']['fromMtime'])
    meta = FileMeta(os.stat(case['file']), m['contentType'], m['encoding'], m['varies'], expires)
    out.append(list(respond_with_file(case['method'], case['headers'], meta, ${nowMs})))
print(json.dumps(out))`, cases);
    cases.forEach((c, i) => assert.deepEqual(got[i], c.want, `${c.method} ${JSON.stringify(c.headers)} on ${c.meta.size} bytes`));
  });

  it('parses Range headers as range-parser does', () => {
    const g = generator(3);
    const atoms = ['=', '-', ',', ' ', '0', '1', '5', '10', '999', '1000', '+', 'x', '\t', '00', '99999999999999999999'];
    const cases = [];
    for (let i = 0; i < 3000; i++) {
      let text = g.pick(['bytes=', 'bytes=', '']);
      for (let n = 1 + Math.floor(g.next() * 7); n > 0; n--) text += g.pick(atoms);
      const size = g.pick([0, 1, 10, 1000]);
      const r = rangeParser(size, text, { combine: true });
      cases.push([size, text, typeof r === 'number' ? r : r.map(({ start, end }) => [start, end])]);
    }
    const got = python<unknown[]>(`
import json
from nuwsgi_worker.static_http import parse_range
out = []
for size, text, _ in json.load(sys.stdin):
    r = parse_range(size, text)
    out.append(r if isinstance(r, int) else [list(x) for x in r])
print(json.dumps(out))`, cases);
    cases.forEach(([size, text, want], i) => assert.deepEqual(got[i], want, `${JSON.stringify(text)} of ${size} bytes`));
  });

  it('reads Accept-Encoding as files.ts does', () => {
    const g = generator(4);
    const parts = ['gzip', 'br', 'br;q=0', 'gzip;q=0.5', '*', '*;q=0', 'br;q=0x1', 'br;q=1e0', 'br;q=.5', 'br;q=', 'br;q=-1',
      'br;q= 1', 'BR', ' br ', 'identity', 'br;Q=0', 'br;q=0;q=1', 'br;x=1;q=0', 'br\xa0', 'br;q=0b1', 'br;q=infinity', 'br;q=1_0'];
    const cases = [];
    for (let i = 0; i < 2000; i++) {
      const value = Array.from({ length: 1 + Math.floor(g.next() * 3) }, () => g.pick(parts)).join(g.pick([',', ', ', ' ,']));
      for (const coding of ['br', 'gzip']) cases.push([value, coding, accepts(value, coding)]);
    }
    const got = python<boolean[]>(`
import json
from nuwsgi_worker.static_http import accepts
print(json.dumps([accepts(value, coding) for value, coding, _ in json.load(sys.stdin)]))`, cases);
    cases.forEach(([value, coding, want], i) => assert.equal(got[i], want, `${JSON.stringify(value)} for ${coding}`));
  });
});
