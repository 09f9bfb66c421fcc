import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isProcessAlive } from '../helpers/proc.js';
import { killDaemon, pidsOf } from './daemon-kill.js';
import { fixture, type TendUnderTest, useTend } from './harness.js';

/** Two programs running (one of two instances), and their pids. */
async function startPrograms(tend: TendUnderTest): Promise<Record<string, Array<number | null>>> {
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '5')]);
  await tend.ok(['start', '--name', 'pool', '--instances', '2', '--', ...fixture('forever')]);
  return { tick: await pidsOf(tend, 'tick'), pool: await pidsOf(tend, 'pool') };
}

/** After the kill: every process adopted with its pid, the recovery said in health and in `tend status`. */
async function assertRecovered(
  tend: TendUnderTest,
  pids: Record<string, Array<number | null>>,
  said: RegExp,
): Promise<void> {
  const back = await killDaemon(tend);
  assert.equal(back.recovery?.adopted, 3, 'all three processes adopted');
  assert.equal(back.recovery?.gone, 0);
  assert.ok(
    back.problems.some((problem) => said.test(problem)),
    `health says what it recovered from: ${JSON.stringify(back.problems)}`,
  );
  assert.deepEqual(await pidsOf(tend, 'tick'), pids.tick);
  assert.deepEqual(await pidsOf(tend, 'pool'), pids.pool);
  for (const pid of [...(pids.tick ?? []), ...(pids.pool ?? [])]) {
    assert.ok(pid !== null && isProcessAlive(pid));
  }
  assert.match(await tend.ok(['status']), said);
  // Managed again: a stop ends them.
  await tend.ok(['stop', 'all']);
  for (const pid of [...(pids.tick ?? []), ...(pids.pool ?? [])]) {
    assert.equal(isProcessAlive(pid ?? 0), false, `${pid} was stopped by the new daemon`);
  }
}

test('the state file deleted while processes run, then kill -9: the next daemon adopts them all from the last-good copy and says so', async (t) => {
  const tend = useTend(t);
  const pids = await startPrograms(tend);
  rmSync(join(tend.home, 'state.json'));
  await assertRecovered(
    tend,
    pids,
    /state\.json was missing; recovered 2 program\(s\) and their processes from .*state\.json\.last-good/,
  );
});

test('the state file overwritten with garbage while processes run, then kill -9: moved aside, and every process adopted from the copy', async (t) => {
  const tend = useTend(t);
  const pids = await startPrograms(tend);
  writeFileSync(join(tend.home, 'state.json'), '{"version": 1, "programs": [');
  await assertRecovered(tend, pids, /could not be used; recovered 2 program\(s\)/);
  assert.equal(
    readdirSync(tend.home).filter((entry) => entry.startsWith('state.json.corrupt-')).length,
    1,
    'the corrupt file is kept aside',
  );
});
