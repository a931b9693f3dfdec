// Which files a PATH_INFO names under the static mounts (router/static/lookup.ts), in-process: the
// mount rules, and the spellings of a path that tries to leave its mount.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookUp, type Lookup } from '../src/router/static/lookup.ts';
import type { StaticMount, StaticRules } from '../src/router/static/rules.ts';
import { TRAVERSALS } from './helpers/traversals.ts';

function rules(mounts: StaticMount[], more: Partial<StaticRules> = {}): StaticRules {
  return {
    mounts, index: [], skipExt: [], safe: [], expires: [], mimeTypes: {}, addHeaders: [], serveMode: 'raw',
    gzip: { all: false, dirs: [], exts: [], patterns: [] }, ...more,
  };
}

const STATIC: StaticMount = { prefix: '/static', root: '/srv/static', file: false, keepPrefix: false };
const paths = (l: Lookup) => (l.kind === 'files' ? l.candidates.map((c) => c.path) : l.kind);

describe('static lookup: mounts', () => {
  it('maps the rest of PATH_INFO under the mount (static-map)', () => {
    assert.deepEqual(paths(lookUp(rules([STATIC]), 'GET', '/static/css/a.css')), ['/srv/static/css/a.css']);
    assert.deepEqual(paths(lookUp(rules([STATIC]), 'HEAD', '/static')), ['/srv/static']);
  });

  it('keeps the prefix under the root with static-map2', () => {
    const m: StaticMount = { prefix: '/static', root: '/srv', file: false, keepPrefix: true };
    assert.deepEqual(paths(lookUp(rules([m]), 'GET', '/static/a.css')), ['/srv/static/a.css']);
  });

  it('serves a file mount for its own path only', () => {
    const m: StaticMount = { prefix: '/favicon.ico', root: '/srv/icons/fav.ico', file: true, keepPrefix: false };
    assert.deepEqual(paths(lookUp(rules([m]), 'GET', '/favicon.ico')), ['/srv/icons/fav.ico']);
    assert.equal(lookUp(rules([m]), 'GET', '/favicon.ico/x').kind, 'app');
  });

  it('ends a prefix at a segment: /static never serves /staticx', () => {
    assert.equal(lookUp(rules([STATIC]), 'GET', '/staticx/a.css').kind, 'app');
  });

  it('serves every path from check-static (an empty prefix)', () => {
    const docroot: StaticMount = { prefix: '', root: '/srv/public', file: false, keepPrefix: false };
    assert.deepEqual(paths(lookUp(rules([docroot]), 'GET', '/robots.txt')), ['/srv/public/robots.txt']);
  });

  it('tries the mounts in the order given (rules.ts sorts the longest prefix first)', () => {
    const js: StaticMount = { prefix: '/static/js', root: '/srv/js', file: false, keepPrefix: false };
    const fallback: StaticMount = { prefix: '/static', root: '/srv/fallback', file: false, keepPrefix: false };
    assert.deepEqual(paths(lookUp(rules([js, STATIC, fallback]), 'GET', '/static/js/app.js')),
      ['/srv/js/app.js', '/srv/static/js/app.js', '/srv/fallback/js/app.js']);
  });

  it('leaves other methods, other paths and static-skip-ext to the app', () => {
    assert.equal(lookUp(rules([STATIC]), 'POST', '/static/a.css').kind, 'app');
    assert.equal(lookUp(rules([STATIC]), 'GET', '/api/x').kind, 'app');
    assert.equal(lookUp(rules([STATIC], { skipExt: ['.py'] }), 'GET', '/static/app.py').kind, 'app');
  });

  it('decodes UTF-8 names', () => {
    const latin1 = Buffer.from('/static/café.css', 'utf8').toString('latin1');
    assert.deepEqual(paths(lookUp(rules([STATIC]), 'GET', latin1)), ['/srv/static/café.css']);
    const bom = Buffer.from('/static/\ufeffa.css', 'utf8').toString('latin1');
    assert.deepEqual(paths(lookUp(rules([STATIC]), 'GET', bom)), ['/srv/static/\ufeffa.css'], 'a byte order mark is part of the name');
  });
});

describe('static lookup: a path never leaves its mount', () => {
  for (const { spelling, pathInfo, status } of TRAVERSALS) {
    it(`${spelling}: ${status}`, () => {
      const got = lookUp(rules([STATIC]), 'GET', pathInfo);
      if (status === 'app') {
        // a name no mount can resolve outside itself: it is looked up under the root, or left to the app
        assert.ok(got.kind === 'app' || (got.kind === 'files' && got.candidates.every((c) => c.path.startsWith('/srv/static/'))), JSON.stringify(got));
        return;
      }
      assert.equal(got.kind, 'refuse', JSON.stringify(got));
      assert.equal(got.kind === 'refuse' && got.status, status);
    });
  }
});
