import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT_HISTORY_LIMIT, type InstanceStats } from '../../src/supervisor/types.js';
import { makeInstance, pidOf } from './harness.js';

test('every exit is recorded with its time, code or signal, uptime and failure', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  runtime.advance(1500);
  runtime.exit(pidOf(instance), { code: 2 });
  const firstExitAt = runtime.now();
  runtime.advance(4000);
  runtime.exit(pidOf(instance), { signal: 'SIGABRT' });
  const { stats } = instance.snapshot();
  assert.deepEqual(stats.exits, [
    { at: firstExitAt, code: 2, signal: null, uptimeMs: 1500, isFailure: true },
    { at: firstExitAt + 4000, code: null, signal: 'SIGABRT', uptimeMs: 4000, isFailure: true },
  ]);
  assert.equal(stats.runs, 2);
  assert.equal(stats.totalRunMs, 5500);
  assert.equal(stats.restarts, 2);
  assert.equal(stats.failureRestarts, 2);
});

test('only the last EXIT_HISTORY_LIMIT exits are kept, while runs keep counting', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const total = EXIT_HISTORY_LIMIT + 10;
  for (let run = 0; run < total; run++) {
    runtime.advance(1000 + run);
    runtime.exit(pidOf(instance), { code: 1 });
  }
  const { stats } = instance.snapshot();
  assert.equal(stats.exits.length, EXIT_HISTORY_LIMIT);
  assert.equal(stats.exits[0]?.uptimeMs, 1010, 'the oldest ten were dropped');
  assert.equal(stats.runs, total);
  assert.equal(stats.restarts, total);
});

test('restored statistics carry on, and downSince comes from the last exit', async () => {
  const restored: InstanceStats = {
    restarts: 7,
    failureRestarts: 3,
    runs: 8,
    totalRunMs: 80_000,
    exits: [{ at: 1234, code: 1, signal: null, uptimeMs: 10_000, isFailure: true }],
  };
  const { runtime, instance } = makeInstance({}, restored);
  assert.equal(instance.snapshot().downSince, 1234);
  await instance.start();
  runtime.advance(2000);
  runtime.exit(pidOf(instance), { code: 1 });
  const { stats } = instance.snapshot();
  assert.equal(stats.restarts, 8);
  assert.equal(stats.failureRestarts, 4);
  assert.equal(stats.runs, 9);
  assert.equal(stats.exits.length, 2);
  assert.equal(restored.exits.length, 1, 'the restored object is not changed');
});

test('a snapshot is a copy: changing it changes nothing in the supervisor', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  runtime.advance(2000);
  runtime.exit(pidOf(instance), { code: 1 });
  const snapshot = instance.snapshot();
  snapshot.stats.exits.length = 0;
  snapshot.stats.runs = 99;
  assert.equal(instance.snapshot().stats.exits.length, 1);
  assert.equal(instance.snapshot().stats.runs, 1);
});

test('the process group is killed after every exit, so no grandchild outlives the instance', async () => {
  const { runtime, instance } = makeInstance({ restart: 'never' });
  await instance.start();
  const pid = pidOf(instance);
  runtime.exit(pid, { code: 0 });
  assert.deepEqual(runtime.signalsTo(pid), ['SIGKILL/group']);
});
