import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from 'pino';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { ProgramCore } from '../../src/core/program-core.js';
import { DaemonFaults } from '../../src/daemon/daemon-faults.js';
import { persistOnEvents } from '../../src/daemon/persistence.js';
import { PidTracker } from '../../src/daemon/pid-tracker.js';
import type { StateToSave } from '../../src/store/persisted-state.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

test('a state write refused by a full disk is said once, retried with the state of that moment, and said to be over', async () => {
  const bus = new EventBus();
  const core = new ProgramCore({
    runtime: new FakeRuntime(),
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: '/nonexistent',
    onProblem: () => {},
  });
  const pids = new PidTracker({ startTime: (pid) => pid * 10 });
  pids.attach(bus);
  let isFull = true;
  let refusals = 0;
  const written: StateToSave[] = [];
  const logged: string[] = [];
  const log = (_detail: unknown, message: string) => logged.push(message);
  const faults = new DaemonFaults(bus, { error: log, warn: log } as unknown as Logger);
  const events: TendEvent[] = [];
  let whileFull: string[] = [];
  let onCleared: (() => void) | undefined;
  bus.subscribe((event) => {
    if (!event.kind.startsWith('daemon.fault')) return;
    events.push(event);
    if (event.kind === 'daemon.fault') whileFull = faults.list();
    else onCleared?.();
  });
  const stop = persistOnEvents({
    bus,
    core,
    pids,
    store: {
      save: async (state) => {
        if (isFull) {
          refusals += 1;
          if (refusals === 5) isFull = false;
          throw enospc();
        }
        written.push(state());
      },
    },
    onProblem: (message) => assert.fail(message),
    faults,
    saveAtOnce: true,
    firstRetryMs: 1,
  });
  const cleared = new Promise<void>((resolve) => {
    onCleared = resolve;
  });
  // The retry timer is unref'd (a daemon's other handles keep it alive): hold the loop meanwhile.
  const keepAlive = setInterval(() => {}, 60_000);
  await core.add(makeSpec());
  await cleared;
  clearInterval(keepAlive);
  stop();
  assert.ok(refusals >= 5, `${refusals} refused writes`);
  assert.deepEqual(
    events.map((event) => event.kind),
    ['daemon.fault', 'daemon.fault-cleared'],
    'said once, and once over',
  );
  assert.equal(logged.length, 2, logged.join('\n'));
  assert.match(logged[0] ?? '', /^cannot write the state file: ENOSPC.*retried/);
  assert.equal(logged[1], 'the state file is written again');
  assert.equal(whileFull.length, 1, 'health lists the fault while it lasts');
  assert.deepEqual(faults.list(), []);
  assert.deepEqual(
    written.at(-1)?.programs.map((program) => program.spec.name),
    ['web'],
    'the retry wrote the latest state',
  );
});
