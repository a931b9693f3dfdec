// The units `nuwsgi init` writes pass `systemd-analyze verify` (systemd's own reading of a unit:
// directives, ExecStart's binary, the socket unit the service requires), with and without socket
// activation and the watchdog.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { needExecutable } from './helpers/peers.ts';
import { runCommand } from './helpers/server.ts';
import { tempDir } from './helpers/wire.ts';

/** This process's group, by name: the unit's Group= must exist for systemd-analyze. */
function groupName(): string {
  const gid = os.userInfo().gid;
  const entry = fs.readFileSync('/etc/group', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => Number(fields[2]) === gid);
  return entry?.[0] ?? String(gid);
}

function verify(analyze: string, units: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(analyze, ['verify', ...units], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

for (const activation of ['no', 'yes']) {
  test(`systemd-analyze verify accepts the generated units (socket activation: ${activation})`, async (t) => {
    const analyze = needExecutable(t, 'systemd-analyze', 'systemd');
    if (analyze === undefined) return;
    const dir = tempDir('nuwsgi-units-');
    fs.writeFileSync(path.join(dir, 'wsgi.py'), 'application = None\n');
    const made = await runCommand(['init', dir, '--name', 'app', '--user', os.userInfo().username, '--group', groupName(),
      '--socket-activation', activation, '--watchdog', '20'], dir, { PATH: process.env.PATH });
    assert.equal(made.code, 0, made.stderr);
    const units = [path.join(dir, 'app.service'), ...(activation === 'yes' ? [path.join(dir, 'app.socket')] : [])];
    const result = await verify(analyze, units);
    assert.equal(result.status, 0, result.output);
    assert.equal(result.output.replace(/.*Special user .* configured, this is not safe!\n/g, ''), '', result.output);
  });
}
