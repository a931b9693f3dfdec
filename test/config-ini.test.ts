// INI files: the reader's syntax (uWSGI's core/ini.c), and how files enter the configuration:
// --ini, ini =, include =, inherit =, a bare app.ini, UWSGI_INI, sections, and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readIni } from '../src/config/ini.ts';
import type { NumberedLine } from '../src/config/magic.ts';
import { errorOf, ini, parseInDirectory, serveFiles, writeFiles } from './helpers/config-files.ts';
import { needPythonModule, systemVenv } from './helpers/peers.ts';
import { startServer } from './helpers/server.ts';

function lines(text: string): NumberedLine[] {
  return text.split('\n').map((line, index) => ({ text: line, line: index + 1 }));
}

describe('INI syntax', () => {
  const cases: { rule: string; text: string; section?: string; expected: [string, string, number][] }[] = [
    { rule: 'key = value splits at the first =', text: '[uwsgi]\nenv = A=B=C', expected: [['env', 'A=B=C', 2]] },
    {
      rule: 'spaces, tabs and carriage returns around keys and values are stripped',
      text: '[uwsgi]\r\n \tprocesses \t=\t 4 \t\r\n',
      expected: [['processes', '4', 2]],
    },
    { rule: 'spaces inside a value are kept', text: '[uwsgi]\nenv   =   A = b  ', expected: [['env', 'A = b', 2]] },
    { rule: 'a key alone has the empty value', text: '[uwsgi]\n  master  ', expected: [['master', '', 2]] },
    { rule: 'an empty value', text: '[uwsgi]\nvacuum =', expected: [['vacuum', '', 2]] },
    { rule: 'lines starting with ; or # are comments', text: '[uwsgi]\n; a = 1\n  # b = 2\nc = 3', expected: [['c', '3', 4]] },
    { rule: 'there are no comments after a value', text: '[uwsgi]\nsocket = :3031 ; x # y', expected: [['socket', ':3031 ; x # y', 2]] },
    { rule: 'quotes are kept', text: '[uwsgi]\nenv = A="x y"', expected: [['env', 'A="x y"', 2]] },
    {
      rule: 'repeated keys are kept in order',
      text: '[uwsgi]\nenv = A=1\nprocesses = 2\nenv = B=2',
      expected: [['env', 'A=1', 2], ['processes', '2', 3], ['env', 'B=2', 4]],
    },
    { rule: 'keys before the first section are ignored', text: 'a = 1\n[uwsgi]\nb = 2', expected: [['b', '2', 3]] },
    {
      rule: 'only the section asked for is read, wherever it appears',
      text: '[a]\nk = 1\n[uwsgi]\nk = 2\n[a]\nk = 3',
      section: 'a',
      expected: [['k', '1', 2], ['k', '3', 6]],
    },
    { rule: 'section names are compared exactly', text: '[ uwsgi ]\na = 1\n[UWSGI]\nb = 2', expected: [] },
    { rule: "a section header loses its last character, whatever it is, as in uWSGI", text: '[uwsgi\na = 1', section: 'uwsg', expected: [['a', '1', 2]] },
    { rule: 'a line with no key has the empty key', text: '[uwsgi]\n= 1', expected: [['', '1', 2]] },
  ];
  for (const { rule, text, section, expected } of cases) {
    it(rule, () => {
      const result = readIni(lines(text), section ?? 'uwsgi');
      assert.deepEqual(result.entries.map(({ key, value, line }) => [key, value, line]), expected);
      assert.equal(result.found, expected.length > 0);
    });
  }

  it('does not find a section that has no keys', () => {
    assert.equal(readIni(lines('[uwsgi]\n; nothing\n[other]\na = 1'), 'uwsgi').found, false);
  });
});

describe('INI files in the configuration', () => {
  it('--ini reads the [uwsgi] section', () => {
    const { config } = serveFiles({ 'app.ini': ini('processes = 4', 'master = true', 'env = A=1', 'env = B=2') }, ['--ini', 'app.ini']);
    assert.equal(config.processes, 4);
    assert.equal(config.master, true);
    assert.deepEqual(config.env, ['A=1', 'B=2']);
    assert.deepEqual(config.http, [':8000']);
    assert.equal(config.module, 'wsgi:app');
  });

  it('a key alone is a flag that is on', () => {
    assert.equal(serveFiles({ 'app.ini': ini('master', 'disable-logging =') }, ['--ini', 'app.ini']).config.disableLogging, true);
  });

  const sources: { rule: string; argv: string[]; env?: NodeJS.ProcessEnv; processes: number }[] = [
    { rule: 'a section after the last colon', argv: ['--ini', 'app.ini:production'], processes: 8 },
    { rule: 'a bare app.ini on the command line', argv: ['app.ini'], processes: 2 },
    { rule: 'a bare app.ini:section', argv: ['app.ini:production'], processes: 8 },
    { rule: 'UWSGI_INI in the environment', argv: [], env: { UWSGI_INI: 'app.ini' }, processes: 2 },
    { rule: 'the command line after UWSGI_INI', argv: ['-p', '3'], env: { UWSGI_INI: 'app.ini' }, processes: 3 },
    { rule: 'options after --ini win', argv: ['--ini', 'app.ini', '-p', '5'], processes: 5 },
    { rule: 'options before --ini lose', argv: ['-p', '5', '--ini', 'app.ini'], processes: 2 },
    { rule: 'a bare app.ini is read after every option, as getopt orders it', argv: ['app.ini', '-p', '5'], processes: 2 },
    { rule: 'ini = :section reads another section of the last INI file', argv: ['--ini', 'app.ini', '--ini', ':production'], processes: 8 },
  ];
  for (const { rule, argv, env, processes } of sources) {
    it(rule, () => {
      const files = { 'app.ini': ini('processes = 2') + '[production]\nhttp = :80\nmodule = wsgi:app\nprocesses = 8\n' };
      assert.equal(serveFiles(files, argv, env).config.processes, processes);
    });
  }

  it('ini = and include = splice the file in place', () => {
    const files = {
      'app.ini': ini('processes = 2', 'env = BEFORE=1', 'include = more.ini', 'env = AFTER=1', 'ini = last.ini'),
      'more.ini': '[uwsgi]\nprocesses = 3\nenv = MORE=1\n',
      'last.ini': '[uwsgi]\nenv = LAST=1\n',
    };
    const { config } = serveFiles(files, ['--ini', 'app.ini']);
    assert.equal(config.processes, 3);
    assert.deepEqual(config.env, ['BEFORE=1', 'MORE=1', 'AFTER=1', 'LAST=1']);
  });

  it('include tells the format from the extension', () => {
    const files = {
      'app.ini': ini('include = more.json', 'include = more.yml'),
      'more.json': '{"uwsgi": {"env": "JSON=1"}}',
      'more.yml': 'uwsgi:\n  env: YAML=1\n',
    };
    assert.deepEqual(serveFiles(files, ['--ini', 'app.ini']).config.env, ['JSON=1', 'YAML=1']);
  });

  it('relative file names start from the working directory, %d from the file', () => {
    const files = {
      'conf/app.ini': ini('include = conf/a.ini', 'include = %db.ini'),
      'conf/a.ini': '[uwsgi]\nenv = A=1\n',
      'conf/b.ini': '[uwsgi]\nenv = B=1\n',
    };
    assert.deepEqual(serveFiles(files, ['--ini', 'conf/app.ini']).config.env, ['A=1', 'B=1']);
  });

  it('inherit adds its options after all others, unexpanded, as uWSGI does', () => {
    const files = {
      'app.ini': ini('name = app', 'inherit = base.ini', 'processes = 2', 'env = MAIN=%(name)'),
      'base.ini': '[uwsgi]\nprocesses = 4\nenv = BASE=%(name) %n\n',
    };
    const { config } = serveFiles(files, ['--ini', 'app.ini', '--env', 'CLI=1']);
    assert.equal(config.processes, 4);
    assert.deepEqual(config.env, ['MAIN=app', 'CLI=1', 'BASE=%(name) base']);
  });

  it('the value of inherit is expanded, as it is not immediate', () => {
    const files = { 'app.ini': ini('base = base', 'inherit = %(base).ini'), 'base.ini': '[uwsgi]\nprocesses = 4\n' };
    assert.equal(serveFiles(files, ['--ini', 'app.ini']).config.processes, 4);
  });

  it('a missing section is a warning, as in uWSGI', () => {
    const { warnings } = serveFiles({ 'app.ini': ini() }, ['--ini', 'app.ini', '--ini', 'app.ini:staging']);
    assert.deepEqual(warnings, ['nuwsgi: warning: app.ini has no [staging] section: nothing was read from it']);
  });
});

describe('the classic tutorial', () => {
  const tutorial = [
    '[uwsgi]',
    'module = wsgi:app',
    '',
    'master = true',
    'processes = 5',
    'threads = 100',
    'gevent = 100',
    'async = 100',
    '',
    'socket = /tmp/codingpy.sock',
    'chmod-socket = 660',
    'vacuum = true',
    '',
    'die-on-term = true',
    '',
    'for-readline = .envs',
    '  env = %(_)',
    'endfor =',
  ];
  const published = tutorial.join('\n') + '\n';

  it('turns every line of .envs into an env entry, exactly as uWSGI 2.0 does', () => {
    const envs = 'DEBUG=0\nSECRET="quoted stays"\n  INDENTED=1\nA = B\n\n# comment\nexport X=1\nUNSET_ME\nCRLF=1\r\n';
    const { config, warnings } = serveFiles({ 'codingpy.ini': published, '.envs': envs }, ['--ini', 'codingpy.ini']);
    assert.deepEqual(config.env, [
      'DEBUG=0', 'SECRET="quoted stays"', '  INDENTED=1', 'A = B', '', '# comment', 'export X=1', 'UNSET_ME', 'CRLF=1',
    ]);
    assert.deepEqual(warnings, []);
    assert.equal(config.processes, 5);
    assert.deepEqual(config.socket, ['/tmp/codingpy.sock']);
    assert.equal(config.options['die-on-term'], true);
  });

  it("puts .envs in the app's os.environ (gevent workers from a virtualenv with gevent)", async (t) => {
    if (!(await needPythonModule(t, 'gevent', 'python3-gevent'))) return;
    const venv = await systemVenv(t);
    if (venv === undefined) return;
    const app = 'import json, os\n' +
      'def app(environ, start_response):\n' +
      "    start_response('200 OK', [('Content-Type', 'application/json')])\n" +
      "    return [json.dumps({k: os.environ.get(k) for k in ['DEBUG', 'SECRET', 'A ', 'UNSET_ME']}).encode()]\n";
    const directory = writeFiles({
      'codingpy.ini': published.replace('/tmp/codingpy.sock', '%dcodingpy.sock'),
      '.envs': 'DEBUG=0\nSECRET="q s"\nA = B\n\n# comment\nUNSET_ME\n',
      'wsgi.py': app,
    });
    const server = await startServer(['--ini', 'codingpy.ini', '--http', '127.0.0.1:0', '--home', venv], {
      cwd: directory, env: { UNSET_ME: '1' },
    });
    try {
      const response = await fetch(server.url);
      assert.deepEqual(await response.json(), { DEBUG: '0', SECRET: '"q s"', 'A ': ' B', UNSET_ME: null });
    } finally {
      await server.stop();
    }
  });

  it('a missing .envs is a warning, not a failure', () => {
    const { config, warnings } = serveFiles({ 'codingpy.ini': published }, ['--ini', 'codingpy.ini']);
    assert.deepEqual(config.env, []);
    assert.deepEqual(warnings, [
      'nuwsgi: warning: cannot read .envs (for-readline in codingpy.ini line 16): no such file; ' +
        'the block repeats nothing, as in uWSGI',
    ]);
  });

  it('reads .envs from the working directory, not from the ini file\'s', () => {
    const files = { 'site/codingpy.ini': published, 'site/.envs': 'IN_SITE=1\n', '.envs': 'IN_CWD=1\n' };
    assert.deepEqual(serveFiles(files, ['--ini', 'site/codingpy.ini']).config.env, ['IN_CWD=1']);
  });

  it('reads threads, gevent and async as given', () => {
    const { config } = serveFiles({ 'codingpy.ini': published, '.envs': '' }, ['--ini', 'codingpy.ini']);
    assert.deepEqual([config.threads, config.gevent, config.async], [100, 100, 100]);
  });
});

describe('keys and values in files', () => {
  it('a bad value names the file, the line, the key as written and the expected form', () => {
    assert.equal(
      errorOf({ 'app.ini': ini('workers = four') }, ['--ini', 'app.ini']),
      "nuwsgi: bad value for workers in app.ini line 4: 'four' (expected a whole number, e.g. --processes 4)",
    );
  });

  it('every bad value is reported at once', () => {
    const files = { 'app.ini': ini('processes = 0', 'buffer-size = 32k'), 'other.ini': '[uwsgi]\nenv = =x\n' };
    assert.equal(errorOf(files, ['--ini', 'app.ini', '--ini', 'other.ini']), [
      "nuwsgi: bad value for processes in app.ini line 4: '0' (must be at least 1)",
      "nuwsgi: bad value for buffer-size in app.ini line 5: '32k' (expected a whole number of bytes up to 1048576 (1 MiB), e.g. --buffer-size 32768)",
      "nuwsgi: bad value for env in other.ini line 2: '=x' (expected KEY=value, or KEY alone to remove it, e.g. --env DJANGO_SETTINGS_MODULE=mysite.settings)",
    ].join('\n'));
  });

  it('a key that is no option and no placeholder gets a warning with a suggestion', () => {
    const { config, warnings } = serveFiles({ 'app.ini': ini('procesess = 4') }, ['--ini', 'app.ini']);
    assert.equal(config.processes, 1);
    assert.deepEqual(warnings, [
      'nuwsgi: warning: procesess in app.ini line 4 is neither an option nor used as a placeholder: ignored (did you mean processes?)',
    ]);
  });

  it('a key used as a placeholder gets no warning', () => {
    assert.deepEqual(serveFiles({ 'app.ini': ini('base = /srv', 'chdir = %(base)') }, ['--ini', 'app.ini']).warnings, []);
  });

  it('with strict, a key that names no option is an error, even one used as a placeholder', () => {
    assert.equal(errorOf({ 'app.ini': ini('strict = true', 'base = /srv', 'chdir = %(base)', 'procesess = 4') }, ['--ini', 'app.ini']), [
      'nuwsgi: unknown option base in app.ini line 5 (with strict, declare placeholders with set-placeholder)',
      'nuwsgi: unknown option procesess in app.ini line 7 (did you mean processes? with strict, declare placeholders with set-placeholder)',
    ].join('\n'));
  });

  it('with strict, set-placeholder still declares placeholders', () => {
    const { config } = serveFiles({ 'app.ini': ini('set-placeholder = base=/srv', 'chdir = %(base)') }, ['--ini', 'app.ini', '--strict']);
    assert.equal(config.chdir, '/srv');
  });

  it('strict = false turns it off again', () => {
    assert.equal(serveFiles({ 'app.ini': ini('strict', 'strict = false', 'base = 1') }, ['--ini', 'app.ini']).warnings.length, 1);
  });

  it('on the command line an unknown option stays an error', () => {
    assert.equal(
      errorOf({}, ['--http', ':8000', '--route', '^/x break:403']),
      'nuwsgi: unknown option --route on the command line (see nuwsgi --help)',
    );
  });

  it('an option only meaningful on the command line is ignored in a file, with a warning', () => {
    const { warnings } = serveFiles({ 'app.ini': ini('show-config = true', 'help') }, ['--ini', 'app.ini']);
    assert.deepEqual(warnings, [
      'nuwsgi: warning: show-config in app.ini line 4 is ignored: it only has a meaning on the command line',
      'nuwsgi: warning: help in app.ini line 5 is ignored: it only has a meaning on the command line',
    ]);
  });

  const plugins: { value: string; accepted: boolean }[] = [
    { value: 'python3', accepted: true },
    { value: 'python', accepted: true },
    { value: 'python311', accepted: true },
    { value: 'http,python3', accepted: true },
    { value: ' python3 , gevent ', accepted: true },
    { value: '0:python3', accepted: true },
    { value: 'php', accepted: false },
    { value: 'python3,cgi,rack', accepted: false },
  ];
  for (const { value, accepted } of plugins) {
    it(`plugins = ${value} is ${accepted ? 'accepted, with no effect' : 'refused'}`, () => {
      const files = { 'app.ini': ini(`plugins = ${value}`, `plugin = ${value}`) };
      if (accepted) {
        assert.deepEqual(serveFiles(files, ['--ini', 'app.ini']).config.options.plugins, [value.trim(), value.trim()]);
      } else {
        assert.match(errorOf(files, ['--ini', 'app.ini']), /^nuwsgi: bad value for plugins in app.ini line 4: .* \(nuwsgi cannot load plugins, and .* not built in; expected a comma-separated list of python, python3, pythonNN, http or gevent, e\.g\. --plugins python3\)\n/);
      }
    });
  }
});

describe('files that cannot be read', () => {
  const cases: { rule: string; files: Record<string, string>; argv: string[]; message: string }[] = [
    {
      rule: 'a missing file',
      files: {},
      argv: ['--ini', 'app.ini'],
      message: 'nuwsgi: cannot read app.ini (--ini on the command line): no such file',
    },
    {
      rule: 'a missing include names the including line',
      files: { 'app.ini': ini('include = more.ini') },
      argv: ['--ini', 'app.ini'],
      message: 'nuwsgi: cannot read more.ini (include in app.ini line 4): no such file',
    },
    {
      rule: 'a missing bare app.ini',
      files: {},
      argv: ['app.ini'],
      message: 'nuwsgi: cannot read app.ini (--include on the command line): no such file',
    },
    {
      rule: 'a directory',
      files: { 'conf/x': '' },
      argv: ['--ini', 'conf'],
      message: 'nuwsgi: cannot read conf (--ini on the command line): it is a directory',
    },
    {
      rule: 'a file that includes itself',
      files: { 'app.ini': ini('include = app.ini') },
      argv: ['--ini', 'app.ini'],
      message: 'nuwsgi: app.ini would be read again (include in app.ini line 4): it includes itself, directly or through other files',
    },
    {
      rule: 'files that inherit each other',
      files: { 'app.ini': ini('inherit = base.ini'), 'base.ini': '[uwsgi]\ninherit = app.ini\ninherit = base.ini\n' },
      argv: ['--ini', 'app.ini'],
      message: 'nuwsgi: base.ini would be read again (inherit in base.ini line 3): it includes itself, directly or through other files',
    },
    {
      rule: 'include of an unknown format',
      files: { 'app.ini': ini('include = app.conf'), 'app.conf': '' },
      argv: ['--ini', 'app.ini'],
      message: 'nuwsgi: cannot tell the format of app.conf (include in app.ini line 4): name it .ini, .json, .js, .yaml or .yml',
    },
    {
      rule: 'include of an XML file',
      files: { 'app.ini': ini('include = app.xml') },
      argv: ['--ini', 'app.ini'],
      message: "nuwsgi: cannot load 'app.xml': XML configuration files are not supported; write the options in an .ini, .json or .yaml file instead",
    },
    {
      rule: 'ini = :section before any INI file',
      files: {},
      argv: ['--http', ':8000', '--ini', ':production'],
      message: "nuwsgi: bad value for --ini on the command line: ':production' (expected a file name, optionally followed by :section, e.g. ini = app.ini:production)",
    },
  ];
  for (const { rule, files, argv, message } of cases) {
    it(rule, () => assert.equal(errorOf(files, argv), message));
  }

  it('a JSON or YAML syntax error names the file and the line', () => {
    assert.equal(
      errorOf({ 'app.json': '{"uwsgi": {\n  "processes": 4,\n}}' }, ['--json', 'app.json']),
      "nuwsgi: app.json line 3: invalid JSON: expected a key in double quotes",
    );
  });

  it('parses the whole command line before reading any file', () => {
    assert.equal(parseInDirectory({}, ['--ini', 'missing.ini', '--help']).kind, 'help');
  });
});
