// systemd's notify protocol against a fake NOTIFY_SOCKET: READY=1 once the workers are ready,
// RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload, STOPPING=1 on SIGTERM, STATUS=
// lines, WATCHDOG=1 when WATCHDOG_USEC asks for it, READY=1 after a failed reload too; none of
// systemd's variables reach the app.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { needSystemPython } from './helpers/peers.ts';
import { fixtureApps, startServer } from './helpers/server.ts';
import { startNotifyReceiver } from './helpers/systemd.ts';
import { httpRequest, json, tempDir, waitFor } from './helpers/wire.ts';

/** The messages that change the service's state, in the order they came. */
function stateChanges(messages: string[][]): string[] {
  return messages.flat().filter((line) => /^(READY|RELOADING|STOPPING)=/.test(line));
}

test('READY, RELOADING and READY around SIGHUP, STOPPING on SIGTERM, in that order, with STATUS and WATCHDOG', async (t) => {
  if (!(await needSystemPython(t))) return;
  const receiver = await startNotifyReceiver(tempDir('nuwsgi-notify-'));
  t.after(() => receiver.stop());
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'systemd_probe.py'),
    '--master', '--processes', '2'], { env: { NOTIFY_SOCKET: receiver.socket, WATCHDOG_USEC: '400000' } });
  let stopped = false;
  t.after(async () => { if (!stopped) await server.stop('SIGKILL'); });

  const ready = await receiver.waitFor(/^READY=1$/, 'READY=1');
  assert.ok(ready.includes('STATUS=2 of 2 workers ready, 0 busy, 0 requests served'), ready.join(' | '));
  assert.ok(!ready.some((line) => line.startsWith('MAINPID=')), 'the main process is the one started: no MAINPID');
  await receiver.waitFor(/^WATCHDOG=1$/, 'WATCHDOG=1 at half of WATCHDOG_USEC');

  const seen = json<{ systemd: Record<string, string> }>((await httpRequest(`${server.url}/`)).body);
  assert.deepEqual(seen.systemd, {}, 'NOTIFY_SOCKET and WATCHDOG_USEC stay out of the app\'s environment');

  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload complete/, 20_000);
  await waitFor(() => stateChanges(receiver.messages).length >= 3, 10_000, 'READY=1 after the reload');
  const reloading = receiver.messages.find((message) => message.includes('RELOADING=1'))!;
  assert.match(reloading.find((line) => line.startsWith('MONOTONIC_USEC=')) ?? '', /^MONOTONIC_USEC=\d+$/);
  assert.ok(reloading.includes('STATUS=reloading: SIGHUP received'), reloading.join(' | '));

  await server.stop('SIGTERM');
  stopped = true;
  await waitFor(() => stateChanges(receiver.messages).length >= 4, 10_000, 'STOPPING=1');
  assert.deepEqual(stateChanges(receiver.messages), ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
});

test('NOTIFY_SOCKET in the abstract namespace (@name), as systemd may give it', async (t) => {
  if (!(await needSystemPython(t))) return;
  const receiver = await startNotifyReceiver(tempDir('nuwsgi-notify-'), `nuwsgi-test-notify-${process.pid}`);
  t.after(() => receiver.stop());
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'systemd_probe.py')],
    { env: { NOTIFY_SOCKET: receiver.socket } });
  t.after(async () => { await server.stop('SIGKILL'); });
  assert.ok((await receiver.waitFor(/^READY=1$/, 'READY=1')).includes('READY=1'));
  assert.ok(!receiver.messages.flat().includes('WATCHDOG=1'), 'no watchdog without WATCHDOG_USEC');
});

test('SIGTERM to the whole process group, as systemd\'s stop sends it: STOPPING=1 still goes out', async (t) => {
  if (!(await needSystemPython(t))) return;
  const receiver = await startNotifyReceiver(tempDir('nuwsgi-notify-'));
  t.after(() => receiver.stop());
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'systemd_probe.py')],
    { env: { NOTIFY_SOCKET: receiver.socket }, detached: true });
  t.after(async () => { if (server.proc.exitCode === null) await server.stop('SIGKILL'); });
  await receiver.waitFor(/^READY=1$/, 'READY=1');
  process.kill(-server.pid, 'SIGTERM');
  assert.equal((await server.exited).code, 0);
  await receiver.waitFor(/^STOPPING=1$/, 'STOPPING=1 from the sender, which the group\'s SIGTERM did not stop');
});

test('a reload whose new workers cannot load the app ends with READY=1 too: the old workers serve on', async (t) => {
  if (!(await needSystemPython(t))) return;
  const dir = tempDir('nuwsgi-notify-');
  const receiver = await startNotifyReceiver(dir);
  t.after(() => receiver.stop());
  const flag = path.join(dir, 'fail');
  const server = await startServer(['--http', '127.0.0.1:0', '--wsgi-file', path.join(fixtureApps, 'fails_to_load_when_flagged.py')],
    { env: { NOTIFY_SOCKET: receiver.socket, NUWSGI_TEST_FAIL_FLAG: flag } });
  t.after(async () => { await server.stop('SIGKILL'); });
  await receiver.waitFor(/^READY=1$/, 'READY=1');
  fs.writeFileSync(flag, '');
  server.proc.kill('SIGHUP');
  await server.waitForOutput(/reload failed, the current workers keep serving/, 20_000);
  await waitFor(() => stateChanges(receiver.messages).length >= 3, 10_000, 'READY=1 after the failed reload');
  assert.deepEqual(stateChanges(receiver.messages), ['READY=1', 'RELOADING=1', 'READY=1']);
  assert.equal((await httpRequest(`${server.url}/`)).status, 200);
});
