// Configuration files for the config-* tests: writes them into a fresh temporary directory and loads
// them the way `nuwsgi` would from that directory, with a fixed context (hostname, CPU count, user,
// start time), so that magic variables have known values.
//
//   const { config, warnings } = serveFiles({ 'app.ini': '[uwsgi]\nhttp = :8000\n...' }, ['--ini', 'app.ini']);
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Command, type Config, ConfigError, type LoadContext, parseCommandLine } from '../../src/config/index.ts';

const directories: string[] = [];
process.on('exit', () => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A new directory holding `files` (paths relative to it; subdirectories are created). */
export function writeFiles(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'nuwsgi-config-'));
  directories.push(directory);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(directory, name)), { recursive: true });
    writeFileSync(path.join(directory, name), content);
  }
  return directory;
}

export function testContext(cwd: string, env: NodeJS.ProcessEnv = {}): LoadContext {
  return {
    cwd,
    env,
    hostname: 'testhost',
    cpus: 4,
    version: '9.9.9',
    binary: '/usr/bin/nuwsgi',
    startMicroseconds: 1_700_000_000_123_456,
    uid: 1000,
    user: 'alice',
    gid: 100,
    group: 'users',
  };
}

/** Parses `argv` in a new directory holding `files`. */
export function parseInDirectory(files: Record<string, string>, argv: string[], env: NodeJS.ProcessEnv = {}): Command {
  const directory = writeFiles(files);
  return parseCommandLine(argv, env, testContext(directory, env));
}

/** Like parseInDirectory, for a configuration that must start: the Config and the warnings. */
export function serveFiles(
  files: Record<string, string>,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): { config: Config; warnings: string[] } {
  const command = parseInDirectory(files, argv, env);
  assert.equal(command.kind, 'serve');
  return { config: command.config, warnings: command.warnings };
}

/** The message of the ConfigError that parsing `argv` among `files` throws. */
export function errorOf(files: Record<string, string>, argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseInDirectory(files, argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  assert.fail(`nuwsgi ${argv.join(' ')} was accepted`);
}

/** An INI file's text: `[uwsgi]`, a listener and an application, then `lines`. */
export function ini(...lines: string[]): string {
  return ['[uwsgi]', 'http = :8000', 'module = wsgi:app', ...lines].join('\n') + '\n';
}
