// docs/options.md is generated from the option table: it must be regenerated whenever the table
// changes, or it would document options that are not there (or miss new ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { OPTIONS } from '../src/config/options.ts';
import { optionsReference, REFERENCE_PATH } from '../scripts/options-reference.ts';

test('docs/options.md matches the option table', () => {
  const written = fs.existsSync(REFERENCE_PATH) ? fs.readFileSync(REFERENCE_PATH, 'utf8') : '';
  assert.ok(written === optionsReference(),
    'docs/options.md is out of date with the option table (src/config/options.ts): run `npm run docs:options`');
});

test('the options reference describes every option once, with its aliases and its UWSGI_ variable', () => {
  const reference = optionsReference();
  for (const option of OPTIONS) {
    assert.equal(reference.split(`\n### ${option.name}\n`).length, 2, `a section for ${option.name}`);
    for (const alias of option.aliases) assert.ok(reference.includes(`\`${alias}\``), `alias ${alias}`);
    if (!option.commandLineOnly) {
      assert.ok(reference.includes(`\`UWSGI_${option.name.toUpperCase().replaceAll('-', '_')}\``), `UWSGI_ form of ${option.name}`);
    }
  }
});
