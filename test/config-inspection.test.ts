// Looking at a configuration without starting the server: `nuwsgi --show-config` prints it resolved,
// as an INI file; `nuwsgi check` (or --check) validates it, like `nginx -t` (what it finds beyond
// the configuration itself is in check.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../src/config/index.ts';
import { ini, parseInDirectory, writeFiles } from './helpers/config-files.ts';
import { runCommand } from './helpers/server.ts';

describe('--show-config', () => {
  it('prints the options as resolved, in the order first given, lists repeated, under canonical names', () => {
    const files = {
      'app.ini': ini(
        'workers = 2', 'master', 'base = /srv', 'env = A=%(base)', 'pythonpath = %(base)/lib', 'env = B=$(NAME)',
        'for = x y', 'env = %(_)=1', 'endfor =', 'disable-logging = off', 'processes = 4', 'include = more.ini',
      ),
      'more.ini': '[uwsgi]\nhttp = :9000\n',
    };
    const command = parseInDirectory(files, ['--show-config', '--ini', 'app.ini', '--callable', 'app'], { NAME: 'n' });
    assert.equal(command.kind, 'show-config');
    assert.equal(command.text, [
      '[uwsgi]',
      'http = :8000',
      'http = :9000',
      'module = wsgi:app',
      'processes = 4',
      'master = true',
      'env = A=/srv',
      'env = B=n',
      'env = x=1',
      'env = y=1',
      'pythonpath = /srv/lib',
      'disable-logging = false',
      'callable = app',
      '',
    ].join('\n'));
  });

  it('reports the warnings apart from the text', () => {
    const command = parseInDirectory({ 'app.ini': ini('procesess = 2') }, ['--show-config', '--ini', 'app.ini']);
    assert.equal(command.kind, 'show-config');
    assert.equal(command.text, '[uwsgi]\nhttp = :8000\nmodule = wsgi:app\n');
    assert.equal(command.warnings.length, 1);
  });

  it('refuses a configuration that would not start', () => {
    assert.throws(() => parseInDirectory({ 'app.ini': ini('processes = 0') }, ['--show-config', '--ini', 'app.ini']), ConfigError);
  });

  it('shows a file that names no application or listener, as uWSGI does', () => {
    const command = parseInDirectory({ 'base.ini': '[uwsgi]\nn = 4\nprocesses = %(n)\nenv = N=%(n)\n' }, ['--show-config', '--ini', 'base.ini']);
    assert.equal(command.kind, 'show-config');
    assert.equal(command.text, '[uwsgi]\nprocesses = 4\nenv = N=4\n');
  });

  it('still refuses options that contradict each other', () => {
    const files = { 'app.ini': '[uwsgi]\nwsgi-file = app.py\nmodule = wsgi:app\n' };
    assert.throws(() => parseInDirectory(files, ['--show-config', '--ini', 'app.ini']), /both --wsgi-file .* and --module .* name an application/);
  });

  it('prints a file nuwsgi reads back to the same configuration', () => {
    const files = { 'app.ini': ini('processes = 3', 'env = A=1', 'env = B=2', 'master = false', 'chmod-socket = 660', 'socket = /run/a.sock') };
    const shown = parseInDirectory(files, ['--show-config', '--ini', 'app.ini']);
    assert.equal(shown.kind, 'show-config');
    const again = parseInDirectory({ 'shown.ini': shown.text }, ['--show-config', '--ini', 'shown.ini']);
    assert.equal(again.kind, 'show-config');
    assert.equal(again.text, shown.text);
  });
});

describe('check', () => {
  for (const argv of [['check', '--ini', 'app.ini'], ['--ini', 'app.ini', '--check'], ['check', 'app.ini']]) {
    it(`nuwsgi ${argv.join(' ')}: the configuration to check, with the warnings`, () => {
      const command = parseInDirectory({ 'app.ini': ini('procesess = 2') }, argv);
      assert.equal(command.kind, 'check');
      assert.deepEqual(command.config.http, [':8000']);
      assert.deepEqual(command.warnings, [
        'nuwsgi: warning: procesess in app.ini line 4 is neither an option nor used as a placeholder: ignored (did you mean processes?)',
      ]);
    });
  }

  it('reports every error', () => {
    assert.throws(() => parseInDirectory({ 'app.ini': ini('processes = x', 'route = ^/x break:403', 'listen = -1') }, ['check', '--ini', 'app.ini']), {
      name: 'ConfigError',
      message: [
        'nuwsgi: route in app.ini line 5 is a uWSGI option that nuwsgi does not support yet (docs/compat.md says what to use instead)',
        "nuwsgi: bad value for processes in app.ini line 4: 'x' (expected a whole number, e.g. --processes 4)",
        "nuwsgi: bad value for listen in app.ini line 6: '-1' (expected a whole number, e.g. --listen 1024)",
      ].join('\n'),
    });
  });

  it('checks the rules between options too', () => {
    assert.throws(() => parseInDirectory({ 'app.ini': '[uwsgi]\nhttp = :8000\n' }, ['check', '--ini', 'app.ini']), /no application/);
  });

  it('reports a missing application and a missing listener together', () => {
    assert.throws(() => parseInDirectory({ 'app.ini': '[uwsgi]\nprocesses = 4\n' }, ['check', '--ini', 'app.ini']),
      { name: 'ConfigError', message: /^nuwsgi: no application: .*\nnuwsgi: no listener: / });
  });
});

function nuwsgi(argv: string[], cwd: string) {
  return runCommand(argv, cwd, { PATH: process.env.PATH });
}

describe('the nuwsgi command', () => {
  const files = {
    'app.ini': ini('processes = 2', 'procesess = 3'),
    'bad.ini': ini('processes = none'),
    'good.ini': '[uwsgi]\nhttp = 127.0.0.1:0\nmodule = wsgi:app\n',
    'wsgi.py': 'def app(environ, start_response):\n    return []\n',
    'base.ini': '[uwsgi]\nn = 4\nprocesses = %(n)\n',
  };

  it('--show-config prints the configuration and exits 0 without starting', async () => {
    const run = await nuwsgi(['--show-config', '--ini', 'app.ini'], writeFiles(files));
    assert.deepEqual(run, {
      code: 0,
      stdout: '[uwsgi]\nhttp = :8000\nmodule = wsgi:app\nprocesses = 2\n',
      stderr: 'nuwsgi: warning: procesess in app.ini line 5 is neither an option nor used as a placeholder: ' +
        'ignored (did you mean processes?)\n',
    });
  });

  it('--show-config of a file that names no application or listener prints it and exits 0', async () => {
    const run = await nuwsgi(['--show-config', '--ini', 'base.ini'], writeFiles(files));
    assert.deepEqual(run, { code: 0, stdout: '[uwsgi]\nprocesses = 4\n', stderr: '' });
  });

  it('check exits 0 with "configuration OK" without starting', async () => {
    const run = await nuwsgi(['check', '--ini', 'good.ini'], writeFiles(files));
    assert.equal(run.code, 0);
    assert.equal(run.stdout, 'nuwsgi: configuration OK\n');
    assert.doesNotMatch(run.stderr, /Starting/);
  });

  it('check exits 1 with the errors', async () => {
    const run = await nuwsgi(['check', 'bad.ini'], writeFiles(files));
    assert.deepEqual(run, {
      code: 1,
      stdout: '',
      stderr: "nuwsgi: bad value for processes in bad.ini line 4: 'none' (expected a whole number, e.g. --processes 4)\n",
    });
  });
});
