import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { AdoptedWatch, exitFromWaitStatus } from '../../src/process/adopted-watch.js';
import { ProcWalkProvider } from '../../src/process/descendant-tracker.js';
import { readProcessStartTime } from '../../src/process/proc-identity.js';
import type { ProcessExit } from '../../src/process/runtime.js';
import { FIXTURES } from '../e2e/harness.js';
import { isProcessAlive } from '../helpers/proc.js';

test('a wait status decodes to an exit code or a signal', () => {
  assert.deepEqual(exitFromWaitStatus(3 << 8), { code: 3, signal: null });
  assert.deepEqual(exitFromWaitStatus(0), { code: 0, signal: null });
  assert.deepEqual(exitFromWaitStatus(9), { code: null, signal: 'SIGKILL' });
  assert.deepEqual(exitFromWaitStatus(15 | 0x80), { code: null, signal: 'SIGTERM' });
});

/**
 * Starts the `forever` fixture as the child of a shell that never reaps it (it execs `sleep`),
 * as an adopted instance is: not our child, and a zombie until its parent (here: never) reaps it.
 */
async function orphanLikeChild(t: { after(fn: () => void): void }): Promise<number> {
  const shell = spawn(
    'sh',
    ['-c', `"${process.execPath}" "${FIXTURES}forever.js" & echo $!; exec sleep 30`],
    { stdio: ['ignore', 'pipe', 'ignore'], detached: true },
  );
  t.after(() => {
    try {
      process.kill(-(shell.pid as number), 'SIGKILL');
    } catch {
      // gone
    }
  });
  const [chunk] = (await once(shell.stdout, 'data')) as [Buffer];
  return Number(chunk.toString().trim());
}

test('an adopted process that is killed is noticed within 100 ms, with its signal read from the zombie', async (t) => {
  const pid = await orphanLikeChild(t);
  const startTime = readProcessStartTime(pid);
  assert.ok(startTime !== undefined);
  const watch = new AdoptedWatch();
  const containment = new ProcWalkProvider('test').adopt();
  const ended = new Promise<{ exit: ProcessExit; at: number }>((resolve) => {
    assert.equal(
      watch.add({ pid, startTime }, containment, (exit) => resolve({ exit, at: Date.now() })),
      true,
    );
  });
  const killedAt = Date.now();
  process.kill(pid, 'SIGTERM');
  const { exit, at } = await ended;
  assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
  // The exit report also waits for the group to be ended; the look itself comes every 50 ms.
  assert.ok(at - killedAt < 1_000, `noticed after ${at - killedAt} ms`);
  assert.equal(watch.size, 0);
});

test('a pid that names another process now (another start time) is not adopted', async (t) => {
  const pid = await orphanLikeChild(t);
  const startTime = readProcessStartTime(pid) as number;
  const watch = new AdoptedWatch();
  const containment = new ProcWalkProvider('test').adopt();
  assert.equal(
    watch.add({ pid, startTime: startTime + 1 }, containment, () => {}),
    false,
  );
  assert.equal(watch.size, 0);
  assert.ok(isProcessAlive(pid), 'and it is left alone');
});
