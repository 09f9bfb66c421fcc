import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeInstance, pidOf } from './harness.js';

/** Runs a program that dies `runMs` after each start until it is errored; returns the wall time it took. */
function timeToErrored(healthyFirstMs = 0): number {
  const { runtime, instance } = makeInstance();
  void instance.start();
  if (healthyFirstMs > 0) {
    runtime.advance(healthyFirstMs);
    runtime.exit(pidOf(instance), { code: 1 });
  }
  const startedAt = runtime.now();
  for (let run = 0; run < 1_000 && instance.state !== 'errored'; run++) {
    if (instance.state === 'waiting') {
      runtime.advance((instance.snapshot().nextRestartAt ?? 0) - runtime.now());
    }
    runtime.advance(50);
    runtime.exit(pidOf(instance), { code: 3 });
  }
  assert.equal(instance.state, 'errored');
  return runtime.now() - startedAt;
}

test('errored came 82 s after the first crash: with the defaults a crash on every start is errored within 30 s', () => {
  const elapsedMs = timeToErrored();
  assert.ok(elapsedMs < 30_000, `errored after ${elapsedMs} ms`);
});

test('a program healthy for hours that starts crash-looping still ends errored, as fast', () => {
  const elapsedMs = timeToErrored(5 * 3_600_000);
  assert.ok(elapsedMs < 30_000, `errored after ${elapsedMs} ms`);
});
