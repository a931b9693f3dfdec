// The expansion layer: magic variables (%d...), $(VAR), @(file), %(placeholder) and its calculator,
// and the for / if-* blocks, with uWSGI 2.0's rules on what is immediate and when each expands.
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { substituteMagic } from '../src/config/magic.ts';
import { errorOf, ini, serveFiles, testContext, writeFiles } from './helpers/config-files.ts';
import { parseCommandLine } from '../src/config/index.ts';

/** The env entries that `lines` (added to a minimal [uwsgi] section of app.ini) resolve to. */
function envOf(lines: string[], files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}, argv: string[] = []): string[] {
  return serveFiles({ 'app.ini': ini(...lines), ...files }, ['--ini', 'app.ini', ...argv], env).config.env;
}

describe('magic variables', () => {
  it('are substituted in the whole text, a % and its character at a time', () => {
    const table = new Map([['%', '%'], ['(', '%('], ['d', '/srv/'], ['n', 'app']]);
    const cases: [string, string][] = [
      ['%d%n.sock', '/srv/app.sock'],
      ['100%%', '100%'],
      ['%(keep)', '%(keep)'],
      ['%%(keep)', '%(keep)'],
      ['a%Yb', 'ab'],
      ['[%n]', '[app]'],
      ['; %d', '; /srv/'],
      ['ends with %', 'ends with %'],
    ];
    for (const [text, expected] of cases) assert.equal(substituteMagic(text, table).lines[0].text, expected, text);
  });

  it('report unknown sequences with their line, and a % at the end of a line joins the next', () => {
    const result = substituteMagic('a = 1\nb = %Y-%m\nc = 50%\nd = 4\n', new Map([['%', '%']]));
    assert.deepEqual(result.lines, [
      { text: 'a = 1', line: 1 },
      { text: 'b = -', line: 2 },
      { text: 'c = 50d = 4', line: 3 },
    ]);
    assert.deepEqual(result.unknown, [
      { sequence: '%Y', line: 2 },
      { sequence: '%m', line: 2 },
      { sequence: '%\n', line: 3 },
    ]);
  });

  it('describe the file read', () => {
    const env = serveFiles({ 'conf/site.d/app.ini': ini(
      'env = d=%d', 'env = p=%p', 'env = s=%s', 'env = n=%n', 'env = e=%e', 'env = c=%c', 'env = x=%x', 'env = o=%o',
    ) + '[other]\nhttp = :1\nmodule = m:a\nenv = x=%x\nenv = o=%o\n' }, ['--ini', 'conf/site.d/app.ini']).config.env;
    const directory = env[0].slice('d='.length);
    assert.match(directory, /\/conf\/site\.d\/$/);
    assert.deepEqual(env.slice(1), [
      `p=${directory}app.ini`, 's=app.ini', 'n=app', 'e=ini', 'c=site.d', 'x=', 'o=conf/site.d/app.ini',
    ]);
  });

  it('describe the section read (%x), and %o leaves the section out, as in uWSGI', () => {
    const files = { 'app.ini': ini() + '[other]\nhttp = :1\nmodule = m:a\nenv = x=%x\nenv = o=%o\n' };
    assert.deepEqual(serveFiles(files, ['--ini', 'app.ini:other']).config.env, ['x=other', 'o=app.ini']);
  });

  it('number the components of the directory: %0, %1...', () => {
    const directory = writeFiles({ 'a/b/app.ini': ini('env = %0|%1|%2|%9') });
    const config = parseCommandLine(['--ini', 'a/b/app.ini'], {}, testContext(directory));
    assert.equal(config.kind, 'serve');
    const components = path.join(directory, 'a', 'b').split('/').filter((part) => part !== '');
    assert.deepEqual(config.config.env, [`${components[0]}|${components[1]}|${components[2]}|${components[9] ?? ''}`]);
  });

  it('describe the process', () => {
    const env = envOf(['env = %h %k %V %u %U %g %G %t %T %b', 'env = esc=%[']);
    assert.deepEqual(env, ['testhost 4 9.9.9 1000 alice 100 users 1700000000 1700000000123456 /usr/bin/nuwsgi', 'esc=\x1b']);
  });

  it('%v is the working directory, %i the inode and %j the hash of the path', () => {
    const [cwd, inode, hash] = envOf(['env = %v', 'env = %i', 'env = %j']);
    assert.ok(path.isAbsolute(cwd));
    assert.match(inode, /^[0-9]+$/);
    assert.match(hash, /^[0-9A-F]{8}$/);
  });

  it('keep the name of a symbolic link', () => {
    const directory = writeFiles({ 'real/app.ini': ini('env = %d|%s') });
    symlinkSync('real/app.ini', path.join(directory, 'link.ini'));
    const command = parseCommandLine(['--ini', 'link.ini'], {}, testContext(directory));
    assert.equal(command.kind, 'serve');
    assert.deepEqual(command.config.env, [`${directory}/|link.ini`]);
  });

  it('in an included file, describe that file', () => {
    assert.deepEqual(envOf(['include = conf/more.ini'], { 'conf/more.ini': '[uwsgi]\nenv = %n %c\n' }), ['more conf']);
  });

  it('%D, %N... describe the first file read by ini, json or yaml, and are empty otherwise', () => {
    const files = { 'app.ini': ini('env = [%N]', 'include = more.ini'), 'more.ini': '[uwsgi]\nenv = [%N] %n\n' };
    assert.deepEqual(serveFiles(files, ['--ini', 'app.ini']).config.env, ['[app]', '[app] more']);
    assert.deepEqual(serveFiles(files, ['app.ini']).config.env, ['[]', '[] more']);
  });

  it('are not substituted on the command line', () => {
    assert.deepEqual(envOf([], {}, {}, ['--env', 'A=%d%n']), ['A=%d%n']);
  });

  it('a % that names nothing is removed with a warning', () => {
    const { config, warnings } = serveFiles({ 'app.ini': ini('env = DATE=%Y-%m') }, ['--ini', 'app.ini']);
    assert.deepEqual(config.env, ['DATE=-']);
    assert.deepEqual(warnings, [
      'nuwsgi: warning: %Y in app.ini line 4 is not a magic variable and was removed, as in uWSGI (write %%Y for a literal %Y)',
      'nuwsgi: warning: %m in app.ini line 4 is not a magic variable and was removed, as in uWSGI (write %%m for a literal %m)',
    ]);
  });
});

describe('placeholders, $(VAR) and @(file)', () => {
  const cases: { rule: string; lines: string[]; env?: NodeJS.ProcessEnv; files?: Record<string, string>; expected: string[] }[] = [
    { rule: 'a key that is no option is a placeholder', lines: ['base = /srv', 'env = A=%(base)/x'], expected: ['A=/srv/x'] },
    { rule: 'a placeholder may be set after it is used', lines: ['env = A=%(later)', 'later = 1'], expected: ['A=1'] },
    { rule: 'the first value given wins', lines: ['v = 1', 'v = 2', 'env = A=%(v)'], expected: ['A=1'] },
    { rule: 'an option is a placeholder too', lines: ['processes = 4', 'env = A=%(processes)'], expected: ['A=4'] },
    { rule: 'under the name it was written as', lines: ['workers = 4', 'env = A=%(processes)%(workers)'], expected: ['A=%(processes)4'] },
    { rule: 'an unknown name is left as written', lines: ['env = A=%(nothing)'], expected: ['A=%(nothing)'] },
    { rule: 'an empty name is left as written', lines: ['env = A=%()'], expected: ['A=%()'] },
    { rule: 'a placeholder may hold another', lines: ['a = %(b)-a', 'b = %(c)-b', 'c = c', 'env = A=%(a)'], expected: ['A=c-b-a'] },
    { rule: 'a new %( inside a name starts over', lines: ['b = x', 'env = A=%(a%(b))'], expected: ['A=%(ax)'] },
    { rule: '%% keeps a placeholder from the magic variables', lines: ['v = 1', 'env = A=%%(v)'], expected: ['A=1'] },
    { rule: '$(VAR) is the environment variable', lines: ['env = A=$(HOME)/x'], env: { HOME: '/home/a' }, expected: ['A=/home/a/x'] },
    { rule: 'an empty variable is still set', lines: ['env = A=[$(EMPTY)]'], env: { EMPTY: '' }, expected: ['A=[]'] },
    { rule: 'an unset variable is left as written', lines: ['env = A=$(UNSET)'], expected: ['A=$(UNSET)'] },
    { rule: 'env = options do not count: they apply later', lines: ['env = X=1', 'env = A=$(X)'], expected: ['X=1', 'A=$(X)'] },
    { rule: '@(file) is its content without one trailing newline', lines: ['env = A=@(secret)'], files: { secret: 'x y\n\n' }, expected: ['A=x y\n'] },
    { rule: '@(file) starts from the working directory', lines: ['env = A=@(conf/secret)'], files: { 'conf/secret': 's' }, expected: ['A=s'] },
    { rule: '$() comes first, then @(), then %()', lines: ['g = @(secret)', 'env = A=@($(FILE))|%(g)'], env: { FILE: 'secret' }, files: { secret: 's\n' }, expected: ['A=s|s'] },
    { rule: 'set-placeholder is not expanded', lines: ['set-placeholder = raw=$(HOME)', 'env = A=%(raw)'], env: { HOME: '/h' }, expected: ['A=$(HOME)'] },
    { rule: 'set-ph is set-placeholder, and the value may hold =', lines: ['set-ph = kv=a=b', 'env = A=%(kv)'], expected: ['A=a=b'] },
    { rule: "a loop's items are not expanded, the values they land in are", lines: ['for = $(X) %(y)', 'env = A=%(_)', 'endfor', 'y = 1'], env: { X: 'x' }, expected: ['A=x', 'A=1'] },
  ];
  for (const { rule, lines, env, files, expected } of cases) {
    it(rule, () => assert.deepEqual(envOf(lines, files, env), expected));
  }

  it('values from the command line and the environment are expanded too', () => {
    const { config } = serveFiles({ 'app.ini': ini('base = /srv') }, ['--ini', 'app.ini', '--chdir', '%(base)/app'], { UWSGI_ENV: 'A=%(base)' });
    assert.equal(config.chdir, '/srv/app');
    assert.deepEqual(config.env, ['A=/srv']);
  });

  const arithmetic: [string, string][] = [
    ['%(n + 1)', '5'],
    ['%(n - 6)', '-2'],
    ['%(n * n)', '16'],
    ['%(n / 3)', '1'],
    ['%(n / 0)', '0'],
    ['%(n ++)', '5'],
    ['%(n --)', '3'],
    ['%(n + 1 * 2)', '10'],
    ['%(n 2)', '42'],
    ['%(n missing 2)', '42'],
    ['%(word + 1)', '1'],
  ];
  for (const [expression, expected] of arithmetic) {
    it(`the calculator: ${expression} with n = 4`, () => {
      assert.deepEqual(envOf(['n = 4', 'word = abc', `env = A=${expression}`]), [`A=${expected}`]);
    });
  }

  const errors: { rule: string; lines: string[]; message: string }[] = [
    {
      rule: 'expanding the value of an immediate option: it is read as written',
      lines: ['name = more', 'include = %(name).ini'],
      message: 'nuwsgi: cannot read %(name).ini (include in app.ini line 5): no such file',
    },
    {
      rule: 'a placeholder that refers to itself',
      lines: ['loop = 1%(loop)', 'env = A=%(loop)'],
      message: 'nuwsgi: the value of loop in app.ini line 4 keeps expanding: does a placeholder refer to itself?',
    },
    {
      rule: 'a missing @(file)',
      lines: ['env = A=@(missing)'],
      message: 'nuwsgi: cannot read missing for @(missing) in the value of env in app.ini line 4: no such file',
    },
    {
      rule: 'set-placeholder without =',
      lines: ['set-placeholder = name'],
      message: "nuwsgi: bad value for set-placeholder in app.ini line 4: 'name' " +
        '(expected NAME=VALUE where NAME is not an option, e.g. set-placeholder = base=/srv/app)',
    },
    {
      rule: 'set-placeholder of an option',
      lines: ['set-placeholder = processes=4'],
      message: "nuwsgi: bad value for set-placeholder in app.ini line 4: 'processes=4' " +
        '(processes is an option, not a placeholder; set it as processes = 4)',
    },
  ];
  for (const { rule, lines, message } of errors) {
    it(`refuses ${rule}`, () => assert.equal(errorOf({ 'app.ini': ini(...lines) }, ['--ini', 'app.ini']), message));
  }
});

describe('for and if-* blocks', () => {
  const cases: { rule: string; lines: string[]; env?: NodeJS.ProcessEnv; files?: Record<string, string>; expected: string[] }[] = [
    { rule: 'for repeats once per item, skipping repeated spaces', lines: ['for = a  b c', 'env = X=%(_)', 'endfor ='], expected: ['X=a', 'X=b', 'X=c'] },
    { rule: 'for repeats values without %(_) too', lines: ['for = a b', 'env = SAME=1', 'endfor ='], expected: ['SAME=1', 'SAME=1'] },
    { rule: 'every %(_) of a value is replaced', lines: ['for = a', 'env = %(_)=%(_)', 'endfor ='], expected: ['a=a'] },
    { rule: 'for-times counts from 1', lines: ['for-times = 3', 'env = N=%(_)', 'endfor ='], expected: ['N=1', 'N=2', 'N=3'] },
    { rule: 'for-times = 0 repeats nothing', lines: ['for-times = 0', 'env = N=%(_)', 'endfor ='], expected: [] },
    { rule: 'for-readline repeats once per line', lines: ['for-readline = list', 'env = %(_)', 'endfor ='], files: { list: 'A=1\r\n\n B = 2 \nC=3' }, expected: ['A=1', '', ' B = 2 ', 'C=3'] },
    { rule: 'if-env: the variable is set; %(_) is its value', lines: ['if-env = V', 'env = X=%(_)', 'endif ='], env: { V: 'v' }, expected: ['X=v'] },
    { rule: 'if-env: set to the empty string counts', lines: ['if-env = V', 'env = X=[%(_)]', 'endif ='], env: { V: '' }, expected: ['X=[]'] },
    { rule: 'if-env: unset', lines: ['if-env = V', 'env = X=1', 'endif ='], expected: [] },
    { rule: 'if-env = V=value', lines: ['if-env = V=a', 'env = A=%(_)', 'endif =', 'if-env = V=b', 'env = B=1', 'endif ='], env: { V: 'a' }, expected: ['A=a'] },
    { rule: 'if-not-env: unset, %(_) left as written', lines: ['if-not-env = V', 'env = X=%(_)', 'endif ='], expected: ['X=%(_)'] },
    { rule: 'if-not-env: set', lines: ['if-not-env = V', 'env = X=1', 'endif ='], env: { V: 'v' }, expected: [] },
    { rule: 'if-not-env = V=value: set to another value', lines: ['if-not-env = V=b', 'env = X=%(_)', 'endif ='], env: { V: 'a' }, expected: ['X=a'] },
    { rule: 'if-not-env = V=value: set to that value', lines: ['if-not-env = V=a', 'env = X=1', 'endif ='], env: { V: 'a' }, expected: [] },
    {
      rule: 'if-exists, if-not-exists: from the working directory; %(_) is the path',
      lines: ['if-exists = conf/f', 'env = E=%(_)', 'endif =', 'if-not-exists = nope', 'env = N=%(_)', 'endif =', 'if-exists = nope', 'env = NO=1', 'endif ='],
      files: { 'conf/f': '' },
      expected: ['E=conf/f', 'N=nope'],
    },
    {
      rule: 'if-file, if-dir and their negations',
      lines: [
        'if-file = f', 'env = F=%(_)', 'endif =', 'if-file = d', 'env = NO1=1', 'endif =',
        'if-dir = d', 'env = D=%(_)', 'endif =', 'if-dir = f', 'env = NO2=1', 'endif =',
        'if-not-file = d', 'env = NF=%(_)', 'endif =', 'if-not-dir = f', 'env = ND=%(_)', 'endif =',
        'if-directory = d', 'env = ALIAS=1', 'endif =',
      ],
      files: { f: '', 'd/x': '' },
      expected: ['F=f', 'D=d', 'NF=d', 'ND=f', 'ALIAS=1'],
    },
    { rule: 'if-opt: given before; %(_) is its value', lines: ['processes = 4', 'if-opt = processes', 'env = P=%(_)', 'endif ='], expected: ['P=4'] },
    { rule: 'if-opt = name=value', lines: ['processes = 4', 'if-opt = processes=2', 'env = P=1', 'endif ='], expected: [] },
    { rule: 'if-opt: given after does not count', lines: ['if-opt = later', 'env = P=1', 'endif =', 'later = 1'], expected: [] },
    {
      rule: 'if-not-opt is evaluated again for every line',
      lines: ['if-not-opt = flag', 'env = FIRST=1', 'flag = 1', 'env = SECOND=1', 'endif ='],
      expected: ['FIRST=1'],
    },
    { rule: 'endfor closes an if, and end closes anything', lines: ['if-env = V', 'env = A=1', 'endfor =', 'for = x', 'env = B=%(_)', 'end =', 'env = C=1'], expected: ['B=x', 'C=1'] },
    { rule: 'an opener inside a block that drops it is dropped, as in uWSGI', lines: ['if-env = V', 'for = a b', 'env = X=%(_)', 'endif =', 'env = AFTER=1'], expected: ['AFTER=1'] },
    {
      rule: 'an include inside a loop is read once per item, its entries added as they are',
      lines: ['for = a b', 'include = %(_).ini', 'endfor ='],
      files: { 'a.ini': '[uwsgi]\nenv = IN_A=%(_)\nendfor =\n', 'b.ini': '[uwsgi]\nenv = IN_B=1\n' },
      expected: ['IN_A=%(_)', 'IN_B=1'],
    },
  ];
  for (const { rule, lines, env, files, expected } of cases) {
    it(rule, () => assert.deepEqual(envOf(lines, files, env), expected));
  }

  it('work on the command line too', () => {
    const { config } = serveFiles({}, ['--http', ':8000', '-w', 'wsgi:app', '--for', 'a b', '--env', 'X=%(_)', '--endfor']);
    assert.deepEqual(config.env, ['X=a', 'X=b']);
  });

  it('a block left open at the end of a file goes on over what follows, with a warning', () => {
    const { config, warnings } = serveFiles({ 'app.ini': ini('for = a b', 'env = X=%(_)') }, ['--ini', 'app.ini', '--env', 'CLI=1']);
    assert.deepEqual(config.env, ['X=a', 'X=b', 'CLI=1', 'CLI=1']);
    assert.deepEqual(warnings, [
      'nuwsgi: warning: the for block opened in app.ini line 4 is still open at the end of app.ini: ' +
        'it goes on over every option that follows (close it with endfor or endif)',
    ]);
  });

  it('a line of for-readline longer than 1023 bytes is split, as uWSGI does, with a warning', () => {
    const long = 'A='.padEnd(1030, 'x');
    const { config, warnings } = serveFiles(
      { 'app.ini': ini('for-readline = list', 'env = %(_)', 'endfor ='), list: `${long}\nB=1\n` },
      ['--ini', 'app.ini'],
    );
    assert.deepEqual(config.env, [long.slice(0, 1023), long.slice(1023), 'B=1']);
    assert.deepEqual(warnings, [
      'nuwsgi: warning: list (for-readline in app.ini line 4) has lines longer than 1023 bytes: each was split into several values, as uWSGI does',
    ]);
  });

  const errors: { rule: string; lines: string[]; message: string }[] = [
    {
      rule: 'nested blocks',
      lines: ['for = a', 'if-env = PATH', 'endif ='],
      message: 'nuwsgi: if-env in app.ini line 5 opens a block inside the for block opened in app.ini line 4: ' +
        'blocks cannot be nested (close the first with endfor or endif)',
    },
    {
      rule: 'for-times that is not a number',
      lines: ['for-times = three'],
      message: "nuwsgi: bad value for for-times in app.ini line 4: 'three' (expected a whole number, e.g. for-times = 4)",
    },
  ];
  for (const { rule, lines, message } of errors) {
    it(`refuses ${rule}`, () => assert.equal(errorOf({ 'app.ini': ini(...lines) }, ['--ini', 'app.ini'], { PATH: '/bin' }), message));
  }
});
