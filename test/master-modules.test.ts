// What the master loads is what its configuration uses: a plain-HTTP master without static mounts
// does not load node:tls, node:http2 or node:crypto, nor the static file server's packages (each
// costs RSS: docs/performance.md, "The master's memory"); --http2-cleartext loads node:http2 (and
// node:tls, which node:http2 needs), and a static mount mime-types. The master is run with a
// preloaded script that writes, as it exits, the builtins it loaded and the CommonJS packages in
// require's cache.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixtureApps, startServer } from './helpers/server.ts';
import { httpRequest, stopServer, tempDir } from './helpers/wire.ts';

const dir = tempDir('nuwsgi-modules-');
const probe = path.join(dir, 'loaded-modules.cjs');
fs.writeFileSync(probe, `
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).filter((m) => !m.startsWith('internal/'));
  const packages = Object.keys(require.cache).map((file) => /node_modules\\/([^/]+)\\//.exec(file)?.[1]).filter(Boolean);
  require('fs').writeFileSync(process.env.LOADED_MODULES_OUT, JSON.stringify({ builtins, packages }));
});
`);

interface Loaded {
  builtins: string[];
  packages: string[];
}

/** Runs nuwsgi with `args`, serves one request, stops it, and reads what its master had loaded. */
async function loadedBy(name: string, args: string[]): Promise<Loaded> {
  const out = path.join(dir, `${name}.json`);
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'echo.py'), ...args], {
    env: { NODE_OPTIONS: `--require ${probe}`, LOADED_MODULES_OUT: out },
  });
  try {
    assert.equal((await httpRequest(server.url + '/')).status, 200);
  } finally {
    await stopServer(server);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Loaded;
}

describe('the modules a master loads', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a plain-HTTP master loads no TLS, HTTP/2, crypto or static file modules', async () => {
    const loaded = await loadedBy('plain', []);
    assert.ok(loaded.builtins.includes('http'), `the probe sees the builtins: ${loaded.builtins.join(' ')}`);
    for (const unwanted of ['tls', 'http2', 'crypto', '_tls_wrap']) {
      assert.ok(!loaded.builtins.includes(unwanted), `node:${unwanted} is loaded: ${loaded.builtins.join(' ')}`);
    }
    for (const unwanted of ['mime-types', 'mime-db', 'etag', 'fresh', 'range-parser', 'prom-client']) {
      assert.ok(!loaded.packages.includes(unwanted), `${unwanted} is loaded: ${loaded.packages.join(' ')}`);
    }
  });

  it('a plain-HTTP master with --http2-cleartext loads node:http2', async () => {
    const loaded = await loadedBy('h2c', ['--http2-cleartext']);
    assert.ok(loaded.builtins.includes('http2'), `node:http2 is not loaded: ${loaded.builtins.join(' ')}`);
  });

  it('a master with a static mount loads the static file server\'s packages', async () => {
    const site = path.join(dir, 'site');
    fs.mkdirSync(site, { recursive: true });
    const loaded = await loadedBy('static', ['--static-map', `/static=${site}`]);
    for (const wanted of ['mime-types', 'mime-db', 'etag']) {
      assert.ok(loaded.packages.includes(wanted), `${wanted} is not loaded: ${loaded.packages.join(' ')}`);
    }
  });
});
