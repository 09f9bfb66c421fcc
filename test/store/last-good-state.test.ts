import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyState } from '../../src/store/persisted-state.js';
import { LAST_GOOD_FILE_NAME, STATE_FILE_NAME, StateStore } from '../../src/store/state-file.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { makeProgram } from './program-fixture.js';

/** A home whose state file and last-good copy both hold `web` (4 restarts) and `worker`. */
async function homeWithState(t: Parameters<typeof makeTempHome>[0]): Promise<string> {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [makeProgram('web', 4), makeProgram('worker')] });
  return home;
}

test('every write also replaces the last-good copy, a file of its own with the same content', async (t) => {
  const home = await homeWithState(t);
  const main = readFileSync(join(home, STATE_FILE_NAME), 'utf8');
  assert.equal(readFileSync(join(home, LAST_GOOD_FILE_NAME), 'utf8'), main);
  const store = new StateStore(home);
  store.load();
  store.saveSync({ programs: [makeProgram('web', 5)] }, { allowEmpty: true });
  assert.equal(
    readFileSync(join(home, LAST_GOOD_FILE_NAME), 'utf8'),
    readFileSync(join(home, STATE_FILE_NAME), 'utf8'),
    'saveSync keeps the copy too',
  );
  assert.deepEqual(
    readdirSync(home).filter((entry) => entry.includes('.tmp-')),
    [],
    'no temp file left',
  );
});

test('a deleted state file: the next load recovers the programs and their pids from the last-good copy, and says so', async (t) => {
  const home = await homeWithState(t);
  rmSync(join(home, STATE_FILE_NAME));
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(
    state.programs.map((program) => program.spec.name),
    ['web', 'worker'],
  );
  assert.equal(state.programs[0]?.instances[0]?.stats.restarts, 4);
  assert.equal(state.programs[0]?.instances[0]?.lastPid, 4242, 'the pids are there to adopt');
  assert.equal(problems.length, 1);
  assert.match(
    problems[0] ?? '',
    /state\.json was missing; recovered 2 program\(s\) and their processes from .*state\.json\.last-good \(the copy of the last state written, at \d{4}-/,
  );
});

test('a state file overwritten in place with garbage: moved aside as before, and the programs recovered from the copy', async (t) => {
  const home = await homeWithState(t);
  // In place (same inode, as `echo x > state.json` does): the copy is a file of its own and keeps its content.
  writeFileSync(join(home, STATE_FILE_NAME), 'garbage');
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(
    state.programs.map((program) => program.spec.name),
    ['web', 'worker'],
  );
  assert.equal(problems.length, 2);
  assert.match(
    problems[0] ?? '',
    /is not valid JSON .*; moved it aside to .*state\.json\.corrupt-/,
  );
  assert.doesNotMatch(problems[0] ?? '', /started with no programs/);
  assert.match(problems[1] ?? '', /could not be used; recovered 2 program\(s\)/);
  const aside = readdirSync(home).filter((entry) => entry.includes('.corrupt-'));
  assert.equal(aside.length, 1);
  assert.equal(readFileSync(join(home, aside[0] ?? ''), 'utf8'), 'garbage');
});

test('no state file and no copy is a first start: empty, nothing reported', (t) => {
  const home = makeTempHome(t);
  const { state, problems } = new StateStore(home).load();
  // An empty state stamped at the load (compared by its own stamp: two loads can fall in two ms).
  assert.deepEqual(state, emptyState(new Date(state.savedAt)));
  assert.deepEqual(problems, []);
  assert.equal(existsSync(join(home, LAST_GOOD_FILE_NAME)), false);
});

test('after every program was deleted, a missing state file recovers nothing', async (t) => {
  const home = await homeWithState(t);
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [] }, { allowEmpty: true });
  rmSync(join(home, STATE_FILE_NAME));
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(state.programs, []);
  assert.deepEqual(problems, []);
});

test('a corrupt state file and a corrupt copy: moved aside and reported, starting empty', async (t) => {
  const home = await homeWithState(t);
  writeFileSync(join(home, STATE_FILE_NAME), 'garbage');
  writeFileSync(join(home, LAST_GOOD_FILE_NAME), 'also garbage');
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(state.programs, []);
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /started with no programs/);
});
