import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASSED } from '../../src/health/probe-result.js';
import { nextOnGrid, ProbeScheduler } from '../../src/health/probe-scheduler.js';
import { sharedWakeups } from '../../src/health/shared-wakeups.js';
import { FAKE_START_MS, FakeRuntime } from '../supervisor/fake-runtime.js';

test('timers due in the same slot share one wake-up, fire never early and at most one slot late', () => {
  const runtime = new FakeRuntime();
  const wakeups = sharedWakeups(runtime, 10);
  const fired: Array<[string, number]> = [];
  const at = (name: string) => () => fired.push([name, runtime.now() - FAKE_START_MS]);
  wakeups.setTimer(101, at('a'));
  wakeups.setTimer(105, at('b'));
  const cancelled = wakeups.setTimer(109, at('cancelled'));
  wakeups.setTimer(111, at('c'));
  assert.equal(runtime.pendingTimerCount, 2, 'slots 110 and 120: two timers for four');
  cancelled.cancel();
  runtime.advance(109);
  assert.deepEqual(fired, []);
  runtime.advance(1);
  assert.deepEqual(fired, [
    ['a', 110],
    ['b', 110],
  ]);
  runtime.advance(10);
  assert.deepEqual(fired.at(-1), ['c', 120]);
  assert.equal(runtime.pendingTimerCount, 0);
});

test('cancelling every timer of a slot cancels its wake-up', () => {
  const runtime = new FakeRuntime();
  const wakeups = sharedWakeups(runtime, 10);
  let count = 0;
  const first = wakeups.setTimer(50, () => count++);
  const second = wakeups.setTimer(50, () => count++);
  first.cancel();
  assert.equal(runtime.pendingTimerCount, 1);
  second.cancel();
  assert.equal(runtime.pendingTimerCount, 0);
  runtime.advance(100);
  assert.equal(count, 0);
});

test('on the grid, the checks of instances started at different moments run together, a period apart', async () => {
  const runtime = new FakeRuntime();
  const wakeups = sharedWakeups(runtime, 10);
  const starts: number[][] = [[], []];
  const spec = { periodMs: 1000, failureThreshold: 3, successThreshold: 1, initialDelayMs: 0 };
  const schedulers = starts.map(
    (times) =>
      new ProbeScheduler({
        runtime: wakeups,
        liveness: {
          spec,
          check: async () => {
            times.push(runtime.now() - FAKE_START_MS);
            return PASSED;
          },
        },
        events: {},
        isOnGrid: true,
      }),
  );
  (schedulers[0] as ProbeScheduler).start();
  runtime.advance(337);
  (schedulers[1] as ProbeScheduler).start();
  for (let step = 0; step < 5; step++) {
    await new Promise((resolve) => setImmediate(resolve));
    runtime.advance(1000);
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(starts[0], [0, 1000, 2000, 3000, 4000, 5000]);
  assert.deepEqual(starts[1], [337, 1000, 2000, 3000, 4000, 5000]);
  assert.equal(runtime.pendingTimerCount, 1, 'one wake-up for both');
  for (const scheduler of schedulers) scheduler.stop();
});

test('the next check on the grid is the nearest grid point a period later, never sooner than half a period', () => {
  assert.equal(nextOnGrid(0, 1000), 1000);
  assert.equal(nextOnGrid(337, 1000), 1000);
  assert.equal(nextOnGrid(600, 1000), 2000);
  assert.equal(nextOnGrid(499, 1000), 1000);
  assert.equal(nextOnGrid(501, 1000), 2000);
  for (const startedAt of [0, 1, 250, 499, 500, 501, 999, 12_345]) {
    const next = nextOnGrid(startedAt, 1000);
    assert.equal(next % 1000, 0);
    assert.ok(next - startedAt >= 500 && next - startedAt <= 1500, `${startedAt} → ${next}`);
  }
});
