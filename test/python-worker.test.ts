// Runs the Python worker's own tests (test/python, stdlib unittest) with the python3 on PATH: the
// frame codec, environ, wsgi.input, start_response and responses, loading the app, and the worker
// process driven over its channel by a fake master.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { answersForWorkers } from '../src/listeners/answers.ts';
import { repoRoot } from './helpers/server.ts';

test('the Python worker passes its unittest suite', () => {
  const result = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'test/python', '-t', '.', '-v'], {
    cwd: repoRoot,
    env: { ...process.env, NUWSGI_TEST_ANSWERS: JSON.stringify(answersForWorkers()) },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.error) throw new Error(`could not run python3: ${result.error.message}`);
  assert.equal(result.status, 0, `python3 -m unittest exited with ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
});
