// Golden tests against the oracle: Debian's uWSGI 2.0 and nuwsgi read the same configuration files
// (test/configfiles/) and must resolve them to the same options. Both print what they resolved with
// --show-config; test/helpers/show-config.ts reduces the two outputs to comparable form. Without
// /usr/bin/uwsgi the tests skip, saying what to install (under CI=true they fail instead).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { needExecutable } from './helpers/peers.ts';
import { repoRoot } from './helpers/server.ts';
import { nuwsgiShowConfig, resolvedView, type Shown, uwsgiShowConfig } from './helpers/show-config.ts';

const directory = path.join(repoRoot, 'test', 'configfiles');

/** The same small environment for both: $(VAR), if-env and the UWSGI_* readers depend on it. */
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/nonexistent-home', NUWSGI_ORACLE_VAR: 'oracle' };

function shownOptions(shown: Shown, program: string) {
  if (!shown.ok) assert.fail(`${program} refused the configuration:\n${shown.output}`);
  return shown.options;
}

async function compare(t: TestContext, args: string[]): Promise<void> {
  const uwsgi = needExecutable(t, 'uwsgi', 'uwsgi');
  if (uwsgi === undefined) return;
  const expected = resolvedView(shownOptions(await uwsgiShowConfig(uwsgi, args, directory, env), 'uwsgi'));
  const actual = resolvedView(shownOptions(await nuwsgiShowConfig(args, directory, env), 'nuwsgi'));
  assert.ok(Object.keys(expected).length >= 3, `uwsgi resolved almost nothing: ${JSON.stringify(expected)}`);
  assert.deepEqual(actual, expected);
}

describe('resolved like uWSGI 2.0 resolves them', () => {
  const cases: { rule: string; args: string[] }[] = [
    { rule: "the classic tutorial's ini: for-readline over .envs (blank, comment, quoted, spaced lines)", args: ['--ini', 'classic.ini'] },
    { rule: 'magic variables, with a trailing slash on %d and %Y removed', args: ['--ini', 'magic.ini'] },
    { rule: 'magic variables of another section', args: ['--ini', 'magic.ini:staging'] },
    { rule: 'a bare app.ini: no uppercase magic variables', args: ['magic.ini'] },
    { rule: 'placeholders, $(VAR), @(file), %% and the calculator', args: ['--ini', 'placeholders.ini'] },
    { rule: 'for, for-times and every if-*', args: ['--ini', 'logic.ini'] },
    { rule: 'include and ini in place, inherit at the end and unexpanded', args: ['--ini', 'include.ini'] },
    { rule: 'sections, comments, repeated keys and blanks', args: ['--ini', 'sections.ini'] },
    { rule: 'a block left open goes on over the command line', args: ['--ini', 'open-block.ini', '--env', 'B=1', '-p', '2'] },
    { rule: 'a bare app.ini is read after the options', args: ['positional.ini', '--processes', '2'] },
    { rule: 'JSON', args: ['--json', 'app.json'] },
    { rule: 'a JSON section', args: ['-j', 'app.json:staging'] },
    { rule: 'a bare app.json', args: ['app.json', '-p', '3'] },
    { rule: 'YAML', args: ['--yaml', 'app.yaml'] },
    { rule: 'a YAML section', args: ['-y', 'app.yaml:staging'] },
  ];
  for (const { rule, args } of cases) {
    it(`${rule}: ${args.join(' ')}`, (t) => compare(t, args));
  }
});

describe('shown like uWSGI 2.0 shows a file that names no application or listener', () => {
  it('processes = %(n): --ini no-app.ini', async (t) => {
    const uwsgi = needExecutable(t, 'uwsgi', 'uwsgi');
    if (uwsgi === undefined) return;
    const args = ['--ini', 'no-app.ini'];
    const expected = resolvedView(shownOptions(await uwsgiShowConfig(uwsgi, args, directory, env), 'uwsgi'));
    assert.deepEqual(expected, { processes: '4' });
    assert.deepEqual(resolvedView(shownOptions(await nuwsgiShowConfig(args, directory, env), 'nuwsgi')), expected);
  });
});

describe('refused like uWSGI 2.0 refuses them', () => {
  const cases: { rule: string; args: string[]; message: RegExp }[] = [
    { rule: 'nested blocks', args: ['--ini', 'refused/nested.ini'], message: /blocks cannot be nested/ },
    { rule: 'a missing include', args: ['--ini', 'refused/missing-include.ini'], message: /cannot read .*no-such-file\.ini/ },
    { rule: 'an unknown key with strict', args: ['--ini', 'refused/strict.ini'], message: /unknown option procesess/ },
    { rule: 'a missing @(file)', args: ['--ini', 'refused/missing-value-file.ini'], message: /@\(no-such-file\)/ },
    { rule: 'a missing JSON section', args: ['--json', 'app.json:production'], message: /has no "production" object/ },
  ];
  for (const { rule, args, message } of cases) {
    it(`${rule}: ${args.join(' ')}`, async (t) => {
      const uwsgi = needExecutable(t, 'uwsgi', 'uwsgi');
      if (uwsgi === undefined) return;
      const expected = await uwsgiShowConfig(uwsgi, args, directory, env);
      assert.equal(expected.ok, false, 'uwsgi accepted it');
      const actual = await nuwsgiShowConfig(args, directory, env);
      assert.equal(actual.ok, false, 'nuwsgi accepted it');
      assert.match(actual.output, message);
    });
  }
});
