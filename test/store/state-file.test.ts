import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TendError } from '../../src/errors.js';
import { LAST_GOOD_FILE_NAME, STATE_FILE_NAME, StateStore } from '../../src/store/state-file.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { makeProgram } from './program-fixture.js';

function readDisk(home: string): { bootId: string | null; programs: unknown[] } {
  return JSON.parse(readFileSync(join(home, STATE_FILE_NAME), 'utf8'));
}

function restartsOnDisk(home: string): number {
  const disk = readDisk(home) as { programs: Array<ReturnType<typeof makeProgram>> };
  return disk.programs[0]?.instances[0]?.stats.restarts ?? -1;
}

test('a missing state file loads as an empty state without problems', (t) => {
  const home = makeTempHome(t);
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(state.programs, []);
  assert.equal(state.version, 1);
  assert.deepEqual(problems, []);
});

test('a saved state loads back equal, with mode 0600 and no temp file left', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  const programs = [makeProgram('web', 3), makeProgram('worker')];
  await store.save({ programs });

  assert.equal(statSync(store.path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(home).sort(), [STATE_FILE_NAME, LAST_GOOD_FILE_NAME]);
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(problems, []);
  assert.deepEqual(state.programs, programs);
  assert.ok(Math.abs(Date.parse(state.savedAt) - Date.now()) < 60_000);
});

test('saveSync writes before it returns, with mode 0600', (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  store.saveSync({ programs: [makeProgram('web', 7)] });
  assert.equal(statSync(store.path).mode & 0o777, 0o600);
  assert.equal(restartsOnDisk(home), 7);
  assert.deepEqual(readdirSync(home).sort(), [STATE_FILE_NAME, LAST_GOOD_FILE_NAME]);
});

test('the store creates a missing home directory on the first write', async (t) => {
  const home = join(makeTempHome(t), 'nested', 'home');
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [makeProgram('web')] });
  assert.equal(readDisk(home).programs.length, 1);
});

test('many saves coalesce: the last state is on disk, in fewer writes, and each promise resolves once its state is durable', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  const seenOnResolve: Array<{ requested: number; onDisk: number }> = [];
  const saves: Promise<void>[] = [];
  for (let restarts = 1; restarts <= 30; restarts += 1) {
    saves.push(
      store.save({ programs: [makeProgram('web', restarts)] }).then(() => {
        seenOnResolve.push({ requested: restarts, onDisk: restartsOnDisk(home) });
      }),
    );
  }
  // More saves while the first write is in flight.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let restarts = 31; restarts <= 60; restarts += 1) {
    saves.push(
      store.save({ programs: [makeProgram('web', restarts)] }).then(() => {
        seenOnResolve.push({ requested: restarts, onDisk: restartsOnDisk(home) });
      }),
    );
  }
  await Promise.all(saves);

  assert.equal(restartsOnDisk(home), 60);
  assert.ok(store.writeCount < 60, `expected fewer writes than saves, got ${store.writeCount}`);
  assert.ok(store.writeCount >= 1);
  assert.equal(seenOnResolve.length, 60);
  for (const { requested, onDisk } of seenOnResolve) {
    assert.ok(onDisk >= requested, `save ${requested} resolved while the disk had ${onDisk}`);
  }
});

test('saveSync during an async write wins, and the pending saves resolve', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  const first = store.save({ programs: [makeProgram('web', 1)] });
  await new Promise<void>((resolve) => setImmediate(resolve));
  const second = store.save({ programs: [makeProgram('web', 2)] });
  store.saveSync({ programs: [makeProgram('web', 3)] });
  await Promise.all([first, second]);
  assert.equal(restartsOnDisk(home), 3);
  assert.deepEqual(readdirSync(home).sort(), [STATE_FILE_NAME, LAST_GOOD_FILE_NAME]);
});

test('a failed write rejects its save with the OS error', async (t) => {
  const parent = makeTempHome(t);
  writeFileSync(join(parent, 'not-a-dir'), '');
  const store = new StateStore(join(parent, 'not-a-dir', 'home'));
  store.load();
  await assert.rejects(store.save({ programs: [makeProgram('web')] }), { code: 'ENOTDIR' });
  // The store is not wedged by a failure: the next save tries again and reports again.
  await assert.rejects(store.save({ programs: [makeProgram('web')] }), { code: 'ENOTDIR' });
});

test('saving before load() is refused, so an unread file is never replaced', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  await assert.rejects(store.save({ programs: [makeProgram('web')] }), /load\(\) must run/);
  assert.throws(() => store.saveSync({ programs: [makeProgram('web')] }), /load\(\) must run/);
});

test('an empty list never replaces a non-empty one unless allowEmpty says so', async (t) => {
  const home = makeTempHome(t);
  const first = new StateStore(home);
  first.load();
  await first.save({ programs: [makeProgram('web'), makeProgram('worker')] });

  // A fresh store knows what is on disk from load().
  const store = new StateStore(home);
  store.load();
  await assert.rejects(store.save({ programs: [] }), (error: unknown) => {
    assert.ok(error instanceof TendError);
    assert.match(error.message, /Refused to replace a state of 2 program\(s\)/);
    assert.match(error.message, /allowEmpty/);
    return true;
  });
  assert.throws(() => store.saveSync({ programs: [] }), /Refused to replace/);
  assert.equal(readDisk(home).programs.length, 2);

  await store.save({ programs: [] }, { allowEmpty: true });
  assert.equal(readDisk(home).programs.length, 0);
  // Empty over empty needs no flag.
  await store.save({ programs: [] });
  assert.equal(readDisk(home).programs.length, 0);
});

test('an empty save refused while a non-empty one is pending leaves the pending one to be written', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  const pending = store.save({ programs: [makeProgram('web', 5)] });
  await assert.rejects(store.save({ programs: [] }), /Refused/);
  await pending;
  assert.equal(restartsOnDisk(home), 5);
});

test('pids recorded in another boot are cleared on load', (t) => {
  const home = makeTempHome(t);
  const program = makeProgram('web');
  const document = {
    version: 1,
    savedAt: new Date().toISOString(),
    bootId: 'a-boot-that-is-not-this-one',
    programs: [program],
  };
  writeFileSync(join(home, STATE_FILE_NAME), JSON.stringify(document));
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(problems, []);
  assert.equal(state.programs[0]?.instances[0]?.lastPid, null);
  assert.equal(state.programs[0]?.instances[0]?.lastPidStartTime, null);
  assert.equal(
    state.programs[0]?.instances[0]?.stats.restarts,
    program.instances[0]?.stats.restarts,
  );
});

test('pids recorded in this boot are kept on load', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [makeProgram('web')] });
  const { state } = new StateStore(home).load();
  assert.equal(state.programs[0]?.instances[0]?.lastPid, 4242);
  assert.equal(state.programs[0]?.instances[0]?.lastPidStartTime, 123_456);
});

test('the next event sequence number survives a save and a load, so event numbers keep rising across daemon runs', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  assert.equal(store.load().state.nextEventSeq, 1, 'a fresh home starts at 1');
  await store.save({ programs: [makeProgram('web')], nextEventSeq: 4097 });
  assert.equal(new StateStore(home).load().state.nextEventSeq, 4097);
});

test('a state file written before event numbers were kept loads with them starting at 1', (t) => {
  const home = makeTempHome(t);
  writeFileSync(
    join(home, STATE_FILE_NAME),
    JSON.stringify({ version: 1, savedAt: new Date().toISOString(), bootId: null, programs: [] }),
  );
  const { state, problems } = new StateStore(home).load();
  assert.deepEqual(problems, []);
  assert.equal(state.nextEventSeq, 1);
});

test('a state given as a function is built when its write starts: saves asked for meanwhile build it once', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  let restarts = 0;
  let builds = 0;
  const build = () => {
    builds += 1;
    return { programs: [makeProgram('web', restarts)] };
  };
  const saves = [store.save(build)];
  // While the first write runs: 20 more changes, each asking for a save.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let change = 1; change <= 20; change += 1) {
    restarts = change;
    saves.push(store.save(build));
  }
  await Promise.all(saves);
  assert.equal(restartsOnDisk(home), 20);
  assert.ok(builds <= 2, `built ${builds} times for 21 saves`);
  assert.equal(builds, store.writeCount);
});

test('a function state that is empty is refused at its write unless a coalesced save allowed it', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  await store.save({ programs: [makeProgram('web')] });
  let programs = [makeProgram('web')];
  const build = () => ({ programs });
  programs = [];
  await assert.rejects(store.save(build), /Refused to replace a state of 1 program/);
  assert.equal(readDisk(home).programs.length, 1);
  // A delete (allowEmpty) and a later save of the same burst, coalesced: the empty list goes through.
  const deleted = store.save(build, { allowEmpty: true });
  const later = store.save(build);
  await Promise.all([deleted, later]);
  assert.equal(readDisk(home).programs.length, 0);
});

test('a task saved before the owner’s presence was kept loads with its owner not connected; a saved presence loads back', async (t) => {
  const home = makeTempHome(t);
  const store = new StateStore(home);
  store.load();
  const task = { id: 'room-1', instance: 0, pid: 4242, owner: 'alice', createdAt: 1 };
  const program = {
    ...makeProgram('rooms'),
    tasks: [
      { ...task, isOwnerConnected: true },
      { ...task, id: 'room-2', instance: 1, isOwnerConnected: true },
    ],
  };
  await store.save(() => ({ programs: [program], nextEventSeq: 1 }), { allowEmpty: false });
  // As a tend from before the field wrote it.
  const disk = JSON.parse(readFileSync(join(home, STATE_FILE_NAME), 'utf8'));
  delete disk.programs[0].tasks[0].isOwnerConnected;
  writeFileSync(join(home, STATE_FILE_NAME), JSON.stringify(disk));
  const loaded = new StateStore(home).load();
  assert.deepEqual(loaded.problems, []);
  assert.deepEqual(
    loaded.state.programs[0]?.tasks.map((each) => [each.id, each.isOwnerConnected]),
    [
      ['room-1', false],
      ['room-2', true],
    ],
  );
});
