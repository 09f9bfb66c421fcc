import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notifySystemdReady, takeNotifySocket } from '../../src/daemon/systemd-ready.js';
import type { CommandRunner } from '../../src/startup/startup-host.js';

function recordingRunner(outcome: { code: number | null; stderr: string }) {
  const calls: Array<{ file: string; args: readonly string[]; socket: string | undefined }> = [];
  const run: CommandRunner = async (file, args, env) => {
    calls.push({ file, args, socket: env?.NOTIFY_SOCKET });
    return { ...outcome, stdout: '' };
  };
  return { calls, run };
}

test('NOTIFY_SOCKET is taken out of the environment; only a foreground daemon keeps it to notify', () => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', PATH: '/usr/bin' };
  assert.equal(takeNotifySocket(env, true), '/run/systemd/notify');
  assert.deepEqual(env, { PATH: '/usr/bin' });
  const background: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify' };
  assert.equal(takeNotifySocket(background, false), undefined);
  assert.deepEqual(background, {});
});

test('the daemon runs systemd-notify --ready --pid with the socket in its environment', async () => {
  const { calls, run } = recordingRunner({ code: 0, stderr: '' });
  const problems: string[] = [];
  await notifySystemdReady('/run/systemd/notify', {
    pid: 4242,
    run,
    onProblem: (p) => problems.push(p),
  });
  assert.deepEqual(calls, [
    {
      file: 'systemd-notify',
      args: ['--ready', '--pid=4242', '--status=tend daemon ready: its API answers'],
      socket: '/run/systemd/notify',
    },
  ]);
  assert.deepEqual(problems, []);
});

test('without NOTIFY_SOCKET nothing runs; a missing or failing systemd-notify is reported, not fatal', async () => {
  const idle = recordingRunner({ code: 0, stderr: '' });
  await notifySystemdReady(undefined, { pid: 1, run: idle.run, onProblem: assert.fail });
  assert.deepEqual(idle.calls, []);
  const problems: string[] = [];
  const missing = recordingRunner({ code: null, stderr: 'spawn systemd-notify ENOENT' });
  await notifySystemdReady('/s', { pid: 1, run: missing.run, onProblem: (p) => problems.push(p) });
  const failing = recordingRunner({ code: 1, stderr: 'No such file or directory\n' });
  await notifySystemdReady('/s', { pid: 1, run: failing.run, onProblem: (p) => problems.push(p) });
  assert.match(problems[0] ?? '', /^systemd-notify could not run \(spawn systemd-notify ENOENT\)/);
  assert.equal(problems[1], 'systemd-notify --ready failed: No such file or directory');
});
