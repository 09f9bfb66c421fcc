import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addRestart } from '../../src/supervisor/intensity.js';

const LIMITS = { maxRestarts: 3, restartWindowMs: 10_000 };

function addAll(times: number[]): boolean[] {
  let history: number[] = [];
  return times.map((at) => {
    const result = addRestart(history, at, LIMITS);
    history = result.history;
    return result.isExceeded;
  });
}

test('maxRestarts inside the window are allowed, one more gives up', () => {
  assert.deepEqual(addAll([0, 1000, 2000, 3000]), [false, false, false, true]);
});

test('restarts older than the window no longer count', () => {
  assert.deepEqual(addAll([0, 1000, 2000, 10_500, 11_000]), [false, false, false, false, false]);
});

test('a burst after hours of calm is caught as fast as one from the start', () => {
  const hours = 3 * 3600 * 1000;
  assert.deepEqual(addAll([5, hours, hours + 10, hours + 20, hours + 30]), [
    false,
    false,
    false,
    false,
    true,
  ]);
});

test('the history keeps only what is inside the window, and the input is not changed', () => {
  const before = [0, 1000, 9000];
  const result = addRestart(before, 10_500, LIMITS);
  assert.deepEqual(result.history, [1000, 9000, 10_500]);
  assert.deepEqual(before, [0, 1000, 9000]);
});
