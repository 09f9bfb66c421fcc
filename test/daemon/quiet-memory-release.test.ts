import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuietMemoryRelease } from '../../src/daemon/quiet-memory-release.js';

/** A timer that fires only when the test says so. */
function fakeTimers() {
  const pending = new Set<{ delayMs: number; onFire: () => void }>();
  return {
    setTimer(delayMs: number, onFire: () => void) {
      const entry = { delayMs, onFire };
      pending.add(entry);
      return { cancel: () => pending.delete(entry) };
    },
    fireAll() {
      const due = [...pending];
      pending.clear();
      for (const entry of due) entry.onFire();
    },
    get pending() {
      return [...pending].map((entry) => entry.delayMs);
    },
  };
}

/** A QuietMemoryRelease on fake timers (quiet for 5 s), counting its releases. */
function quietOnFakeTimers() {
  const timers = fakeTimers();
  const counted = { releases: 0 };
  const quiet = new QuietMemoryRelease(
    async () => {
      counted.releases++;
    },
    (delayMs, onFire) => timers.setTimer(delayMs, onFire),
    5_000,
  );
  return { timers, quiet, counted };
}

test('a burst of requests is followed by one release once the API has been quiet', () => {
  const { timers, quiet, counted } = quietOnFakeTimers();
  for (let request = 0; request < 100; request++) quiet.requestAnswered();
  assert.deepEqual(timers.pending, [5_000], 'each request starts the quiet spell again');
  timers.fireAll();
  assert.equal(counted.releases, 1);
  timers.fireAll();
  assert.equal(counted.releases, 1, 'nothing more without a new request');
  quiet.requestAnswered();
  timers.fireAll();
  assert.equal(counted.releases, 2);
});

test('close stops the wait: no release after the daemon stops', () => {
  const { timers, quiet, counted } = quietOnFakeTimers();
  quiet.requestAnswered();
  quiet.close();
  assert.deepEqual(timers.pending, []);
  timers.fireAll();
  assert.equal(counted.releases, 0);
});
