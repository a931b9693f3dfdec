// JSON and YAML files: how their values map to options (as Debian's uWSGI 2.0 reads them), which
// files and sections are read, and the errors, with their lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJson } from '../src/config/json.ts';
import type { NumberedLine } from '../src/config/magic.ts';
import { readYaml } from '../src/config/yaml.ts';
import { errorOf, serveFiles } from './helpers/config-files.ts';

function lines(text: string): NumberedLine[] {
  return text.split('\n').map((line, index) => ({ text: line, line: index + 1 }));
}

function pairs(entries: { key: string; value: string; line: number }[]): [string, string, number][] {
  return entries.map(({ key, value, line }) => [key, value, line]);
}

describe('JSON', () => {
  const cases: { rule: string; text: string; section?: string; expected: [string, string, number][] }[] = [
    { rule: 'a string is the value', text: '{"uwsgi": {"module": "wsgi:app"}}', expected: [['module', 'wsgi:app', 1]] },
    { rule: 'a number is written as it stands', text: '{"uwsgi": {"a": 4, "b": 2.50, "c": 1e3, "d": -3}}', expected: [['a', '4', 1], ['b', '2.50', 1], ['c', '1e3', 1], ['d', '-3', 1]] },
    { rule: 'true is 1, false and null are 0', text: '{"uwsgi": {"a": true, "b": false, "c": null}}', expected: [['a', '1', 1], ['b', '0', 1], ['c', '0', 1]] },
    {
      rule: 'an array repeats its key; arrays and objects inside are ignored',
      text: '{"uwsgi": {\n"env": ["A=1", 2, true, [3], {"x": 1}]\n}}',
      expected: [['env', 'A=1', 2], ['env', '2', 2], ['env', '1', 2]],
    },
    { rule: 'objects in a section are ignored', text: '{"uwsgi": {"nested": {"processes": 4}, "a": "1"}}', expected: [['a', '1', 1]] },
    {
      rule: 'repeated keys are kept in order, with their lines',
      text: '{\n  "uwsgi": {\n    "env": "A=1",\n    "processes": 2,\n    "env": "B=2"\n  }\n}',
      expected: [['env', 'A=1', 3], ['processes', '2', 4], ['env', 'B=2', 5]],
    },
    { rule: 'escapes in strings', text: '{"uwsgi": {"env": "T=\\t\\u00e9\\"\\\\\\/"}}', expected: [['env', 'T=\té"\\/', 1]] },
    { rule: 'another section', text: '{"uwsgi": {"a": "1"}, "staging": {"a": "2"}}', section: 'staging', expected: [['a', '2', 1]] },
  ];
  for (const { rule, text, section, expected } of cases) {
    it(rule, () => assert.deepEqual(pairs(readJson(lines(text), section ?? 'uwsgi').entries), expected));
  }

  it('tells a missing section', () => {
    assert.equal(readJson(lines('{"other": {}}'), 'uwsgi').found, false);
  });

  const errors: { rule: string; text: string; line: number; message: string }[] = [
    { rule: 'a trailing comma', text: '{"uwsgi": {\n"a": 1,\n}}', line: 3, message: 'invalid JSON: expected a key in double quotes' },
    { rule: 'a missing comma', text: '{"uwsgi": {\n"a": 1\n"b": 2}}', line: 3, message: "invalid JSON: expected ',' or '}'" },
    { rule: 'an unclosed string', text: '{"uwsgi": {"a": "1}}', line: 1, message: 'invalid JSON: a string is not closed' },
    { rule: 'a bare word', text: '{"uwsgi": {"a": yes}}', line: 1, message: "invalid JSON: unexpected 'y'" },
    { rule: 'text after the document', text: '{"uwsgi": {}}\n{}', line: 2, message: 'invalid JSON: unexpected text after the end of the JSON document' },
    { rule: 'a document that is not an object', text: '[1]', line: 1, message: 'expected an object of sections, such as {"uwsgi": {...}}' },
    { rule: 'a section that is not an object', text: '{\n"uwsgi": [1]}', line: 2, message: '"uwsgi" must be an object of options, such as {"processes": 4}' },
    { rule: 'an empty file', text: '', line: 1, message: 'invalid JSON: the document ends too early' },
  ];
  for (const { rule, text, line, message } of errors) {
    it(`refuses ${rule}`, () => {
      assert.throws(() => readJson(lines(text), 'uwsgi'), (error: Error & { line?: number }) => {
        assert.equal(error.message, message);
        assert.equal(error.line, line);
        return true;
      });
    });
  }
});

describe('YAML', () => {
  const cases: { rule: string; text: string; section?: string; expected: [string, string, number][]; valueless?: string[] }[] = [
    { rule: 'key: value under the section', text: 'uwsgi:\n  module: wsgi:app\n  http: :8000', expected: [['module', 'wsgi:app', 2], ['http', ':8000', 3]] },
    { rule: 'values are text, as written', text: 'uwsgi:\n  a: true\n  b: 010\n  c: ~\n  d: 1.50', expected: [['a', 'true', 2], ['b', '010', 3], ['c', '~', 4], ['d', '1.50', 5]] },
    { rule: 'quotes are removed', text: "uwsgi:\n  a: 'it''s'\n  b: \"t\\tq\\\"\"\n  c: ''", expected: [['a', "it's", 2], ['b', 't\tq"', 3], ['c', '', 4]] },
    { rule: 'comments are removed, a # inside a value is kept', text: '# top\nuwsgi:\n  # inside\n  a: x # note\n  b: a#b\n  c: "# not"', expected: [['a', 'x', 4], ['b', 'a#b', 5], ['c', '# not', 6]] },
    { rule: 'a colon not followed by a space belongs to the value', text: 'uwsgi:\n  a: http://x:80/y', expected: [['a', 'http://x:80/y', 2]] },
    { rule: 'repeated keys are kept in order', text: 'uwsgi:\n  env: A=1\n  processes: 2\n  env: B=2', expected: [['env', 'A=1', 2], ['processes', '2', 3], ['env', 'B=2', 4]] },
    { rule: 'a list in brackets repeats its key', text: "uwsgi:\n  pythonpath: [a, 'b c', \"d\"]", expected: [['pythonpath', 'a', 2], ['pythonpath', 'b c', 2], ['pythonpath', 'd', 2]] },
    {
      rule: 'a list of - items repeats its key, indented or not',
      text: 'uwsgi:\n  env:\n    - A=1\n    - "B=2"\n  pythonpath:\n  - lib\n  processes: 2',
      expected: [['env', 'A=1', 3], ['env', 'B=2', 4], ['pythonpath', 'lib', 6], ['processes', '2', 7]],
    },
    { rule: 'a key with no value is ignored, and reported', text: 'uwsgi:\n  master:\n  processes: 2', expected: [['processes', '2', 3]], valueless: ['master'] },
    { rule: 'other sections are skipped', text: 'other:\n  a: 1\nuwsgi:\n  b: 2\nlast:\n  c: 3', expected: [['b', '2', 4]] },
    { rule: 'another section', text: 'uwsgi:\n  a: 1\nstaging:\n  a: 2', section: 'staging', expected: [['a', '2', 4]] },
    { rule: 'a document start marker', text: '---\nuwsgi:\n  a: 1\n...\nignored: 1', expected: [['a', '1', 3]] },
  ];
  for (const { rule, text, section, expected, valueless } of cases) {
    it(rule, () => {
      const result = readYaml(lines(text), section ?? 'uwsgi');
      assert.deepEqual(pairs(result.entries), expected);
      assert.deepEqual(result.valueless.map(({ key }) => key), valueless ?? []);
    });
  }

  const errors: { rule: string; text: string; line: number; message: string }[] = [
    { rule: 'an unquoted %', text: 'uwsgi:\n  env: %(_)', line: 2, message: "a YAML value cannot start with %: quote it, e.g. '%(_)'" },
    { rule: 'an unquoted @', text: 'uwsgi:\n  env: @(secret)', line: 2, message: "a YAML value cannot start with @: quote it, e.g. '@(secret)'" },
    { rule: 'a nested mapping', text: 'uwsgi:\n  a:\n    b: 1', line: 3, message: 'nested mappings and values continued on the next line are not supported; write each value on one line' },
    { rule: 'a list item after a key with a value', text: 'uwsgi:\n  a: 1\n  - 2', line: 3, message: 'a list item must follow a key with no value on its own line (env:, then - A=1)' },
    { rule: 'a deeper line', text: 'uwsgi:\n  a: 1\n    b: 2', line: 3, message: 'nested mappings and values continued on the next line are not supported; write each value on one line' },
    { rule: 'a block value', text: 'uwsgi:\n  a: |\n    x', line: 2, message: 'block values (|) are not supported; write the value on one line, quoted if needed' },
    { rule: 'an anchor', text: 'uwsgi:\n  a: &x 1', line: 2, message: 'anchors, aliases and tags are not supported' },
    { rule: 'a mapping in a value', text: 'uwsgi:\n  a: b: c', line: 2, message: "a value cannot contain ': ' unless it is quoted: 'b: c'" },
    { rule: 'a line that is no key', text: 'uwsgi:\n  just words', line: 2, message: "expected 'key: value'" },
    { rule: 'tabs', text: 'uwsgi:\n\ta: 1', line: 2, message: 'tabs cannot indent YAML; use spaces' },
    { rule: 'an unclosed quote', text: "uwsgi:\n  a: 'x", line: 2, message: 'a quoted value must be closed on the same line' },
    { rule: 'a value on the section line', text: 'uwsgi: 1', line: 1, message: '"uwsgi:" must be followed by its options on the next lines, indented' },
    { rule: 'text after a quoted value', text: "uwsgi:\n  a: 'x' y", line: 2, message: "unexpected text after the value: 'y'" },
    { rule: 'an unclosed list', text: 'uwsgi:\n  a: [x, y', line: 2, message: "a list in brackets must end with ']' on the same line" },
  ];
  for (const { rule, text, line, message } of errors) {
    it(`refuses ${rule}`, () => {
      assert.throws(() => readYaml(lines(text), 'uwsgi'), (error: Error & { line?: number }) => {
        assert.equal(error.message, message);
        assert.equal(error.line, line);
        return true;
      });
    });
  }
});

describe('JSON and YAML files in the configuration', () => {
  const json = '{"uwsgi": {"http": ":8000", "module": "wsgi:app", "processes": 4, "master": true, "env": ["A=%(processes)", "D=%n"]},\n' +
    ' "staging": {"http": ":9000", "module": "wsgi:app", "processes": 2}}';
  const yaml = 'uwsgi:\n  http: :8000\n  module: wsgi:app\n  processes: 4\n  master: true\n  env: [\'A=%(processes)\', D=%n]\n' +
    'staging:\n  http: :9000\n  module: wsgi:app\n  processes: 2\n';
  const sources: { argv: string[]; processes: number; env: string[] }[] = [
    { argv: ['--json', 'app.json'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['--js', 'app.json'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['-j', 'app.json:staging'], processes: 2, env: [] },
    { argv: ['app.json'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['app.js'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['--yaml', 'app.yaml'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['--yml', 'app.yml'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['-y', 'app.yaml:staging'], processes: 2, env: [] },
    { argv: ['app.yml'], processes: 4, env: ['A=4', 'D=app'] },
    { argv: ['app.yaml:staging'], processes: 2, env: [] },
  ];
  for (const { argv, processes, env } of sources) {
    it(`nuwsgi ${argv.join(' ')}`, () => {
      const { config } = serveFiles({ 'app.json': json, 'app.js': json, 'app.yaml': yaml, 'app.yml': yaml }, argv);
      assert.equal(config.processes, processes);
      assert.deepEqual(config.env, env);
    });
  }

  it('--json reads a file whatever its name, as --ini does', () => {
    assert.equal(serveFiles({ 'app.conf': json }, ['--json', 'app.conf']).config.processes, 4);
  });

  it('a JSON file without the section is an error, as in uWSGI', () => {
    assert.equal(
      errorOf({ 'app.json': json }, ['--json', 'app.json:production']),
      'nuwsgi: app.json has no "production" object (--json on the command line)',
    );
  });

  it('a YAML file without the section is a warning', () => {
    const { warnings } = serveFiles({ 'app.yaml': yaml }, ['--http', ':1', '-w', 'a:b', '--yaml', 'app.yaml:production']);
    assert.deepEqual(warnings, ['nuwsgi: warning: app.yaml has no [production] section: nothing was read from it']);
  });

  it('a YAML key with no value is a warning', () => {
    const { config, warnings } = serveFiles({ 'app.yaml': `${yaml.split('staging')[0]}  vacuum:\n` }, ['--yaml', 'app.yaml']);
    assert.equal(config.vacuum, false);
    assert.deepEqual(warnings, ['nuwsgi: warning: vacuum in app.yaml line 7 has no value and is ignored, as in uWSGI (write vacuum: true for a flag)']);
  });

  it('a bad value names the file and the line', () => {
    assert.equal(
      errorOf({ 'app.yaml': 'uwsgi:\n  http: :8000\n  module: wsgi:app\n  processes: many\n' }, ['--yaml', 'app.yaml']),
      "nuwsgi: bad value for processes in app.yaml line 4: 'many' (expected a whole number, e.g. --processes 4)",
    );
  });

  it('a syntax error names the file and the line', () => {
    assert.equal(
      errorOf({ 'app.yaml': 'uwsgi:\n  env: %(x)\n' }, ['--yaml', 'app.yaml']),
      "nuwsgi: app.yaml line 2: a YAML value cannot start with %: quote it, e.g. '%(x)'",
    );
  });
});
