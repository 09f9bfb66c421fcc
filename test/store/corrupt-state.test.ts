import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { STATE_FILE_NAME, StateStore } from '../../src/store/state-file.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { makeProgram } from './program-fixture.js';

function corruptFilesIn(home: string): string[] {
  return readdirSync(home).filter((entry) => entry.startsWith(`${STATE_FILE_NAME}.corrupt-`));
}

/** Writes `text` as the state file, loads it, and checks that it was moved aside intact and reported. */
function assertMovedAside(home: string, text: string, reason: RegExp): string {
  writeFileSync(join(home, STATE_FILE_NAME), text);
  const store = new StateStore(home);
  const { state, problems } = store.load();

  assert.deepEqual(state.programs, []);
  assert.equal(problems.length, 1);
  const [problem] = problems;
  assert.match(problem ?? '', reason);
  const [aside, ...others] = corruptFilesIn(home);
  assert.ok(aside, 'expected a state.json.corrupt-<timestamp> file');
  assert.deepEqual(others, []);
  assert.match(aside, /^state\.json\.corrupt-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
  assert.ok(problem?.includes(join(home, aside)), `the problem should say where: ${problem}`);
  assert.equal(readFileSync(join(home, aside), 'utf8'), text);
  assert.equal(existsSync(store.path), false);
  return problem ?? '';
}

test('a state file that is not JSON is moved aside and reported', (t) => {
  const home = makeTempHome(t);
  assertMovedAside(home, '{"version": 1, "programs": [', /is not valid JSON/);
});

test('an empty state file (a truncated write by another tool) is moved aside and reported', (t) => {
  const home = makeTempHome(t);
  assertMovedAside(home, '', /is not valid JSON/);
});

test('a state file of an unknown version is moved aside and reported', (t) => {
  const home = makeTempHome(t);
  const text = JSON.stringify({ version: 2, savedAt: new Date().toISOString(), programs: [] });
  assertMovedAside(home, text, /has format version 2, but this tend reads version 1 only/);
});

test('a state file that is JSON but not a tend state is moved aside and reported', (t) => {
  const home = makeTempHome(t);
  const text = JSON.stringify({ version: 1, savedAt: 'yesterday', programs: {} });
  const problem = assertMovedAside(home, text, /is not a tend state/);
  assert.match(problem, /`savedAt`/);
  assert.match(problem, /`programs`/);
});

test('after a corrupt file was moved aside, saving starts a fresh file', async (t) => {
  const home = makeTempHome(t);
  writeFileSync(join(home, STATE_FILE_NAME), 'garbage');
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [makeProgram('web')] });
  assert.equal(new StateStore(home).load().state.programs.length, 1);
  assert.equal(corruptFilesIn(home).length, 1);
});

test('a second corrupt file in the same millisecond gets its own name', (t) => {
  const home = makeTempHome(t);
  writeFileSync(join(home, STATE_FILE_NAME), 'first');
  new StateStore(home).load();
  writeFileSync(join(home, STATE_FILE_NAME), 'second');
  new StateStore(home).load();
  const contents = corruptFilesIn(home).map((entry) => readFileSync(join(home, entry), 'utf8'));
  assert.deepEqual(contents.sort(), ['first', 'second']);
});

test('an invalid program is left out and reported by name; the others load and the original is kept', (t) => {
  const home = makeTempHome(t);
  const broken = { ...makeProgram('broken'), spec: { ...makeProgram('broken').spec, command: '' } };
  const text = JSON.stringify({
    version: 1,
    savedAt: new Date().toISOString(),
    programs: [makeProgram('web'), broken, makeProgram('web'), makeProgram('worker')],
  });
  writeFileSync(join(home, STATE_FILE_NAME), text);
  const { state, problems } = new StateStore(home).load();

  assert.deepEqual(
    state.programs.map((program) => program.spec.name),
    ['web', 'worker'],
  );
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /program #2 \("broken"\) is not valid \(`spec.command`: /);
  assert.match(problems[1] ?? '', /program #3 \("web"\) repeats a name/);
  const [copy] = corruptFilesIn(home);
  assert.ok(copy);
  assert.ok(problems[0]?.includes(`copied to ${join(home, copy)}`));
  assert.equal(readFileSync(join(home, copy), 'utf8'), text);
});

test('a leftover temp file of a crashed write is ignored and deleted', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [makeProgram('web', 4)] });
  const leftover = join(home, `${STATE_FILE_NAME}.tmp-99999-1`);
  writeFileSync(leftover, '{"version": 1, "programs": [{"spec": ');

  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(problems, []);
  assert.equal(state.programs[0]?.instances[0]?.stats.restarts, 4);
  assert.equal(existsSync(leftover), false);
});
