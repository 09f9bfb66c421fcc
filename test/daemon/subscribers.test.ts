import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/core/event-bus.js';
import { ProgramCore } from '../../src/core/program-core.js';
import { persistOnEvents } from '../../src/daemon/persistence.js';
import { PidTracker } from '../../src/daemon/pid-tracker.js';
import type { StateToSave } from '../../src/store/persisted-state.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

function makeDaemonParts() {
  const runtime = new FakeRuntime();
  const bus = new EventBus();
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: '/nonexistent',
    onProblem: () => {},
  });
  // A start time per pid, as /proc would give it.
  const pids = new PidTracker({ startTime: (pid) => pid * 10 });
  pids.attach(bus);
  const saves: Array<{ state: StateToSave; allowEmpty: boolean }> = [];
  persistOnEvents({
    bus,
    core,
    pids,
    store: {
      save: async (state, options) => {
        saves.push({ state: state(), allowEmpty: options.allowEmpty });
      },
    },
    onProblem: (message) => assert.fail(message),
  });
  return { runtime, bus, core, pids, saves };
}

/** Lets the microtask that saves after a burst of events run. */
const afterBurst = () => new Promise<void>((resolve) => setImmediate(resolve));

test('each burst of events saves the state once, with the pids and start times of the live processes and the next seq', async () => {
  const { runtime, bus, core, saves } = makeDaemonParts();
  await core.add(makeSpec());
  await afterBurst();
  const last = saves.at(-1);
  assert.ok(last);
  assert.ok(bus.emittedCount > 1);
  assert.ok(saves.length >= 1 && saves.length < bus.emittedCount);
  assert.equal(last.state.nextEventSeq, bus.nextSeq);
  assert.deepEqual(
    last.state.programs.map((program) => [
      program.spec.name,
      program.desired,
      program.instances[0]?.lastPid,
      program.instances[0]?.lastPidStartTime,
    ]),
    [['web', 'running', 1000, 10_000]],
  );

  runtime.advance(2000);
  const savesBefore = saves.length;
  const eventsBefore = bus.emittedCount;
  runtime.exit(1000, { code: 1 });
  assert.equal(saves.length, savesBefore, 'saved a microtask after the burst, not during it');
  await afterBurst();
  // The exit and the restart are several events and one save.
  assert.ok(bus.emittedCount - eventsBefore > 1);
  assert.equal(saves.length, savesBefore + 1);
  const after = saves.at(-1)?.state.programs[0]?.instances[0];
  assert.equal(after?.lastPid, 1001);
  assert.equal(after?.lastPidStartTime, 10_010);
  assert.equal(after?.stats.restarts, 1);
});

test('only a removal may save an empty program list', async () => {
  const { runtime, core, saves } = makeDaemonParts();
  await core.add(makeSpec());
  const removing = core.remove('web');
  runtime.exit(1000, { signal: 'SIGTERM' });
  await removing;
  await afterBurst();
  const empty = saves.filter((save) => save.state.programs.length === 0);
  assert.ok(empty.length > 0);
  assert.ok(empty.every((save) => save.allowEmpty));
  assert.ok(saves.filter((save) => save.allowEmpty).length === 1);
});

test('the pid tracker forgets a pid once its process exited', async () => {
  const { runtime, core, pids } = makeDaemonParts();
  await core.add(makeSpec());
  assert.equal(pids.startTimeOf(1000), 10_000);
  const stopping = core.stop('web');
  runtime.exit(1000, { signal: 'SIGTERM' });
  await stopping;
  assert.equal(pids.startTimeOf(1000), null);
});
