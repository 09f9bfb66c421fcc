import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextRestartDelay } from '../../src/supervisor/backoff.js';

test('no delay after a stable run', () => {
  assert.equal(nextRestartDelay(0, 100, 30_000), 0);
});

test('the delay doubles per consecutive young death', () => {
  const delays = [1, 2, 3, 4, 5].map((deaths) => nextRestartDelay(deaths, 100, 30_000));
  assert.deepEqual(delays, [100, 200, 400, 800, 1600]);
});

test('the delay is capped', () => {
  assert.equal(nextRestartDelay(4, 100, 500), 500);
  assert.equal(nextRestartDelay(9, 100, 30_000), 25_600);
  assert.equal(nextRestartDelay(10, 100, 30_000), 30_000);
});

test('a very long crash loop stays at the cap instead of overflowing', () => {
  assert.equal(nextRestartDelay(5000, 100, 30_000), 30_000);
});
