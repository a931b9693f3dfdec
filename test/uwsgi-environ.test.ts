// What an app sees of a uwsgi request: the vars nginx's uwsgi_params sends, mapped the way uWSGI
// maps them, except the wire vars that would load code or change the server (UWSGI_*), keys with
// a dot, and the HTTP_CONTENT_TYPE / HTTP_CONTENT_LENGTH that PEP 3333 forbids.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureApps, startServer, type RunningServer } from './helpers/server.ts';
import { json, stopServer, waitFor, type Echo } from './helpers/wire.ts';
import { nginxVars, uwsgiRequest, uwsgiTarget, type UwsgiTarget, type Vars } from './helpers/uwsgi-client.ts';

const echoApp = path.join(fixtureApps, 'echo.py');

describe('uwsgi environ (echo app)', () => {
  let server: RunningServer;
  let target: UwsgiTarget;
  before(async () => {
    server = await startServer(['--socket', '127.0.0.1:0', '--wsgi-file', echoApp]);
    target = uwsgiTarget(server);
  });
  after(() => stopServer(server));

  async function echo(vars: Vars, body = ''): Promise<Echo> {
    const r = await uwsgiRequest(target, vars, body);
    assert.equal(r.statusCode, 200, `${r.headText}${r.body.toString('latin1').slice(0, 2000)}`);
    return json<Echo>(r.body);
  }

  it("passes what nginx's uwsgi_params sends through unchanged, and adds SCRIPT_NAME", async () => {
    const body = '{"a": 1}';
    const vars = nginxVars({
      method: 'POST', uri: '/api/items%2Fx?sort=desc&q=%20a', contentType: 'application/json', contentLength: body.length,
      remoteAddr: '203.0.113.9', remotePort: 40123, serverPort: 443, serverName: 'shop.example', https: true,
      headers: [['Host', 'shop.example'], ['User-Agent', 'curl/8.0'], ['Accept', '*/*'], ['Content-Type', 'application/json'],
        ['Content-Length', String(body.length)], ['X-Requested-With', 'XMLHttpRequest']],
    });
    const e = await echo(vars, body);
    const expected: Record<string, string> = {};
    for (const [key, value] of vars) expected[key] = value;
    delete expected.HTTP_CONTENT_TYPE;
    delete expected.HTTP_CONTENT_LENGTH;
    expected.SCRIPT_NAME = '';
    assert.deepEqual(e.cgi, expected);
    assert.equal(e.path, '/api/items/x');
    assert.equal(e.body, body);
    assert.equal(e.wsgi['wsgi.url_scheme']!.value, 'https');
    assert.equal(e.wsgi['wsgi.input_terminated']!.value, true);
  });

  it('keeps a SCRIPT_NAME that nginx sends (uwsgi_param SCRIPT_NAME)', async () => {
    const e = await echo([...nginxVars({ uri: '/app/page' }), ['SCRIPT_NAME', '/app'], ['PATH_INFO', '/page']]);
    assert.equal(e.cgi.SCRIPT_NAME, '/app');
    assert.equal(e.cgi.PATH_INFO, '/page');
  });

  it('passes empty CONTENT_TYPE and CONTENT_LENGTH as nginx sends them without a body', async () => {
    const e = await echo(nginxVars({ uri: '/' }));
    assert.equal(e.cgi.CONTENT_TYPE, '');
    assert.equal(e.cgi.CONTENT_LENGTH, '');
  });

  for (const [name, extra, scheme] of [
    ['plain http', [], 'http'],
    ['HTTPS=on', [['HTTPS', 'on']], 'https'],
    ['HTTPS=ON', [['HTTPS', 'ON']], 'https'],
    ['HTTPS=1', [['HTTPS', '1']], 'https'],
    ['HTTPS=off', [['HTTPS', 'off']], 'http'],
    ['REQUEST_SCHEME=https', [['REQUEST_SCHEME', 'https']], 'https'],
    ['X-Forwarded-Proto from a peer that is not a trusted proxy', [['HTTP_X_FORWARDED_PROTO', 'https']], 'http'],
  ] as Array<[string, Array<[string, string]>, string]>) {
    it(`wsgi.url_scheme is ${scheme} with ${name}`, async () => {
      const base = nginxVars({ uri: '/scheme' }).filter(([k]) => k !== 'REQUEST_SCHEME');
      const e = await echo([...base, ...extra]);
      assert.equal(e.wsgi['wsgi.url_scheme']!.value, scheme);
    });
  }

  it('never honours nor passes UWSGI_* vars (code loading, chdir, setenv, scheme, appid...)', async () => {
    const wire: Array<[string, string]> = [
      ['UWSGI_FILE', path.join(fixtureApps, 'crash.py')], ['UWSGI_MODULE', 'os'], ['UWSGI_SCRIPT', 'os'],
      ['UWSGI_CALLABLE', 'system'], ['UWSGI_PYHOME', '/'], ['UWSGI_HOME', '/'], ['UWSGI_CHDIR', '/'],
      ['UWSGI_SETENV', 'NUWSGI_INJECTED=1'], ['UWSGI_POSTFILE', '/etc/passwd'], ['UWSGI_TOUCH_RELOAD', '/tmp/x'],
      ['UWSGI_CACHE_GET', 'k'], ['UWSGI_APPID', 'other'], ['UWSGI_SCHEME', 'https'], ['UWSGI_ROUTER', 'http'],
    ];
    const e = await echo([...nginxVars({ uri: '/uwsgi-vars' }), ...wire]);
    assert.equal(e.path, '/uwsgi-vars', 'the echo app answered');
    for (const [key] of wire) assert.equal(key in e.cgi, false, `${key} reached the app`);
    assert.equal(e.wsgi['wsgi.url_scheme']!.value, 'http');
    const again = await echo(nginxVars({ uri: '/after' }));
    assert.equal('NUWSGI_INJECTED' in again.cgi, false);
  });

  it('ignores keys with a dot: the wsgi.* namespace is the server’s', async () => {
    const e = await echo([...nginxVars({ uri: '/dots' }), ['wsgi.url_scheme', 'https'], ['wsgi.multithread', 'yes'], ['my.key', 'v']]);
    assert.equal(e.wsgi['wsgi.url_scheme']!.value, 'http');
    assert.equal(e.wsgi['wsgi.multithread']!.value, false);
    assert.equal('my.key' in e.wsgi, false);
  });

  it('passes latin-1 bytes through as latin-1 characters', async () => {
    const e = await echo([...nginxVars({ uri: '/caf%C3%A9' }).filter(([k]) => k !== 'PATH_INFO'),
      ['PATH_INFO', Buffer.from('/café', 'utf8').toString('latin1')], ['HTTP_X_NAME', '\u00e9\u00ff']]);
    assert.equal(e.cgi.PATH_INFO, '/caf\u00c3\u00a9');
    assert.equal(e.cgi.HTTP_X_NAME, '\u00e9\u00ff');
  });

  it('gives the app the last of repeated vars, as uWSGI does', async () => {
    const e = await echo([...nginxVars({ uri: '/dup' }), ['HTTP_X_TWICE', 'first'], ['HTTP_X_TWICE', 'second']]);
    assert.equal(e.cgi.HTTP_X_TWICE, 'second');
  });

  it('answers 400 and logs it when a var contains a NUL byte', async () => {
    const mark = server.output().length;
    const r = await uwsgiRequest(target, [...nginxVars({ uri: '/nul' }), ['HTTP_X_EVIL', 'a\0b']]);
    assert.equal(r.statusCode, 400);
    await waitFor(() => /: the var "HTTP_X_EVIL" contains a NUL byte: answered 400/.test(server.output().slice(mark)), 5_000, 'the log line');
  });

  it('answers 400 to a CONTENT_LENGTH that is not a number', async () => {
    const vars = nginxVars({ method: 'POST', uri: '/cl' }).map(([k, v]) => (k === 'CONTENT_LENGTH' ? [k, '12abc'] : [k, v]) as [string, string]);
    const r = await uwsgiRequest(target, vars);
    assert.equal(r.statusCode, 400);
  });
});
