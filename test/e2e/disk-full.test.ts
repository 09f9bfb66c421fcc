import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isProcessAlive } from '../helpers/proc.js';
import { assertEveryNumberOnce, loggedNumbers } from './counter-log.js';
import { health, pidsOf } from './daemon-kill.js';
import { fixture, pollUntil, type TendUnderTest, useTend } from './harness.js';

/**
 * Mounts a small tmpfs over `dir`; undefined when done, else why it cannot be (not root, no
 * mount permission in this container): then the test is skipped with that reason, under CI too,
 * because no package can grant the permission; test/logs/disk-full.test.ts still covers the
 * capture with an injected full disk.
 */
function mountTmpfs(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${String((error as { stderr?: unknown }).stderr ?? error).trim()})`;
  }
}

/** Writes a file until the file system refuses (ENOSPC); returns its path. */
function fillUp(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const block = Buffer.alloc(size, 0x2e);
      for (;;) writeSync(fd, block);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

/** The daemon's faults now (from GET /v1/health). */
async function faults(tend: TendUnderTest): Promise<string[]> {
  return (await health(tend))?.faults ?? [];
}

test('a full disk under the home: the daemon stays up and says so, the programs wait without losing a line, and all resumes by itself when space returns', async (t) => {
  const tend = useTend(t);
  const skip = mountTmpfs(tend.home, '16m');
  if (skip) {
    t.skip(skip);
    return;
  }
  try {
    await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '2')]);
    await tend.ok(['start', '--name', 'idle', '--', ...fixture('forever')]);
    const [tick] = await pidsOf(tend, 'tick');
    const daemon = (await health(tend))?.pid;
    // Lines are not events: the log file is read until the counter has written some.
    await pollUntil('tick to log', async () => loggedNumbers(tend.home, 'tick').length > 20);
    const filler = fillUp(tend.home);

    await tend.until('the logs fault', async () =>
      (await faults(tend)).some((fault) => /^cannot write the logs: .*ENOSPC/.test(fault)),
    );
    // A change now: its state write is refused, the state file stays whole and as it was.
    const stateBefore = readFileSync(join(tend.home, 'state.json'), 'utf8');
    await tend.ok(['stop', 'idle']);
    await tend.until('the state fault', async () =>
      (await faults(tend)).some((fault) => /^cannot write the state file: .*ENOSPC/.test(fault)),
    );
    assert.equal(readFileSync(join(tend.home, 'state.json'), 'utf8'), stateBefore);
    const status = await tend.ok(['daemon', 'status']);
    assert.match(status, /problem now: cannot write the logs/);
    assert.match(status, /problem now: cannot write the state file/);
    assert.match(await tend.ok(['status']), /daemon now: cannot write the logs/);
    assert.equal((await health(tend))?.pid, daemon, 'the daemon stayed up');
    assert.deepEqual(await pidsOf(tend, 'tick'), [tick], 'the writer kept running');
    assert.ok(tick != null && isProcessAlive(tick));

    rmSync(filler);
    await tend.until('every fault over', async () => (await faults(tend)).length === 0, 30_000);
    const state = JSON.parse(readFileSync(join(tend.home, 'state.json'), 'utf8'));
    const idle = state.programs.find(
      (program: { spec: { name: string } }) => program.spec.name === 'idle',
    );
    assert.equal(idle?.desired, 'stopped', 'the refused state write was retried');
    assert.deepEqual(await pidsOf(tend, 'tick'), [tick]);
    // The counter blocked on its pipe while nothing was read: every number is there once, in order.
    await tend.ok(['stop', 'tick']);
    assertEveryNumberOnce(loggedNumbers(tend.home, 'tick'), 'tick');
    assert.match(readFileSync(join(tend.home, 'daemon.log'), 'utf8'), /the logs are written again/);
  } finally {
    await tend.run(['daemon', 'stop']);
    // Lazy: a process that still holds a file there does not keep the mount.
    execFileSync('umount', ['-l', tend.home]);
  }
});
