import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { endProcessGroup, isGroupRunning } from '../../src/process/end-process-group.js';
import { procState } from '../helpers/proc.js';
import { waitUntil } from './harness.js';

test('a group whose only members are zombies counts as ended (regression: a stop waited for PID 1 to reap them)', {
  timeout: 30_000,
}, async (t) => {
  // The group's leader forks `leaver`, which forks `zombie` and then leaves the group (setsid) and
  // never reaps it: `zombie` stays an unreaped member of the group for as long as `leaver` lives.
  const leader = spawn(
    'sh',
    [
      '-c',
      '( sleep 0 & echo "zombie $!"; exec setsid sleep 1000 ) & echo "leaver $!"; exec sleep 1001',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pgid = leader.pid;
  assert.ok(pgid);
  t.after(() => {
    if (leader.exitCode === null && leader.signalCode === null) process.kill(-pgid, 'SIGKILL');
  });
  let output = '';
  leader.stdout.on('data', (chunk) => {
    output += chunk;
  });
  await waitUntil(() => /zombie \d+\n/.test(output) && /leaver \d+\n/.test(output), 'both pids');
  const zombie = Number(/zombie (\d+)/.exec(output)?.[1]);
  const leaver = Number(/leaver (\d+)/.exec(output)?.[1]);
  t.after(() => process.kill(leaver, 'SIGKILL'));
  await waitUntil(() => procState(zombie) === 'Z', 'the zombie to exit');

  const exited = once(leader, 'exit');
  process.kill(pgid, 'SIGKILL');
  await exited;
  // The group still has a member for kill(2): the unreaped zombie. It is not running.
  assert.doesNotThrow(() => process.kill(-pgid, 0));
  assert.equal(isGroupRunning(pgid), false);
  // With an hour to wait, only a check that ignores zombies returns before the test times out.
  await endProcessGroup(pgid, 60 * 60_000);
  assert.equal(procState(zombie), 'Z', 'it returned while the zombie was still unreaped');
});
