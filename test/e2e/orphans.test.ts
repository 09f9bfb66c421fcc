import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readProcStat } from '../../src/process/proc-table.js';
import { STATE_FROZEN_FILE_ENV } from '../../src/store/state-file.js';
import { isProcessAlive } from '../helpers/proc.js';
import { health, killDaemon, pidsOf } from './daemon-kill.js';
import { fixture, pollUntil, useTend, watcherOf } from './harness.js';
import { outputHoldersOf } from './output-holders.js';

/** The instance pids the state file names for `name`, by index. */
function savedPids(home: string, name: string): Array<number | null> {
  try {
    const state = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as {
      programs: Array<{ spec: { name: string }; instances: Array<{ lastPid: number | null }> }>;
    };
    const program = state.programs.find((each) => each.spec.name === name);
    return program?.instances.map((instance) => instance.lastPid) ?? [];
  } catch {
    return [];
  }
}

/** Live processes (zombies not counted) whose environment names this home. */
function liveOfHome(home: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && isProcessAlive(Number(entry)))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`TEND_HOME=${home}\0`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('kill -9 after a restart and a scale that no state write recorded: the next daemon adopts the restarted process in its slot and ends the one beyond the saved count; no orphan is left', async (t) => {
  const tend = useTend(t);
  const frozen = join(tend.home, 'state-frozen');
  const env = { [STATE_FROZEN_FILE_ENV]: frozen };
  await tend.ok(['start', '--name', 'app', '-i', '2', '--max', '3', '--', ...fixture('forever')], {
    env,
  });
  const [kept, restarted] = await pidsOf(tend, 'app');
  assert.ok(kept && restarted);
  // No event says a state write is done: the file is read until it names both processes.
  await pollUntil('the state file to name both instances', async () => {
    const saved = savedPids(tend.home, 'app');
    return saved[0] === kept && saved[1] === restarted;
  });
  // From here on the daemon writes no state: the window a kill -9 beats, held open.
  writeFileSync(frozen, '');
  process.kill(restarted, 'SIGKILL');
  const replacement = await tend.until('instance 1 restarted', async () => {
    const instance = (await tend.program('app')).instances[1];
    return instance?.pid !== restarted && instance?.status === 'online' ? instance.pid : undefined;
  });
  assert.ok(replacement);
  await tend.ok(['scale', 'app', '3']);
  const [, , extra] = await pidsOf(tend, 'app');
  assert.ok(extra);
  assert.deepEqual(savedPids(tend.home, 'app'), [kept, restarted], 'no state write since');

  await killDaemon(tend);
  rmSync(frozen);

  assert.deepEqual(
    await pidsOf(tend, 'app'),
    [kept, replacement],
    'the restarted process adopted in its slot; the saved count kept',
  );
  const problems = (await health(tend))?.problems ?? [];
  assert.ok(
    problems.includes(
      `app[1]: pid ${replacement} was started by the previous daemon after its last state write; adopted`,
    ),
    problems.join('\n'),
  );
  assert.ok(
    problems.includes(
      `app[2]: pid ${extra} was started by the previous daemon after its last state write; ended (app has 2 instance(s))`,
    ),
    problems.join('\n'),
  );
  // Not our child: nothing reports its end but /proc.
  await pollUntil('the unrecorded instance 2 to be ended', async () => !isProcessAlive(extra));
  const daemon = tend.daemonPid() ?? 0;
  const others = () => [daemon, watcherOf(daemon), ...outputHoldersOf(tend.home)];
  // The holders a killed daemon left are replaced a second after the start.
  const live = await pollUntil(
    'the home to hold only the daemon, its watcher, a holder and the adopted',
    async () => {
      const now = liveOfHome(tend.home).filter((pid) => !others().includes(pid));
      return outputHoldersOf(tend.home).length === 1 && now.length === 2 ? now : undefined;
    },
  ).catch(() => liveOfHome(tend.home).filter((pid) => !others().includes(pid)));
  assert.deepEqual(
    live.sort((a, b) => a - b),
    [kept, replacement].sort((a, b) => a - b),
    'no process of the home left over or duplicated',
  );
});

test('kill -9: a descendant of an instance that left its group and lost its parent is no orphan; the next daemon leaves it running', async (t) => {
  const tend = useTend(t);
  // The subshell starts `sleep 4321` in a session of its own and exits: it runs under PID 1 with
  // the instance's TEND_* variables, leading its group, while the instance (`sleep 4322`'s sh) runs on.
  await tend.ok(['start', '--name', 'esc', '--shell', '(setsid sleep 4321 &); sleep 4322']);
  const [root] = await pidsOf(tend, 'esc');
  assert.ok(root);
  const escapee = await pollUntil('sleep 4321 to start', async () =>
    liveOfHome(tend.home).find(
      (pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\x004321\x00',
    ),
  );
  t.after(() => {
    if (isProcessAlive(escapee)) process.kill(escapee, 'SIGKILL');
  });
  const stat = readProcStat(escapee);
  assert.equal(stat?.pgrp, escapee, 'it leads its own group');
  assert.notEqual(stat?.ppid, root, 'its parent is gone');

  await killDaemon(tend);

  assert.deepEqual(await pidsOf(tend, 'esc'), [root], 'the instance adopted');
  const problems = (await health(tend))?.problems ?? [];
  assert.deepEqual(
    problems.filter((line) => line.includes('previous daemon')),
    [],
    'nothing found to adopt or end',
  );
  assert.ok(isProcessAlive(escapee), 'the descendant still runs');
});
