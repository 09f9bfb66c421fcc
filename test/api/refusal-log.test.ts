import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  REFUSAL_WINDOW_MS,
  REFUSALS_LOGGED_PER_WINDOW,
  RefusalLog,
} from '../../src/api/refusal-log.js';

test('refusals are logged up to the limit of a window, then counted, and the count comes with the next line', () => {
  let now = 1_000;
  const lines: Array<Record<string, unknown>> = [];
  const log = new RefusalLog(
    (fields) => lines.push(fields),
    () => now,
  );
  for (let i = 0; i < REFUSALS_LOGGED_PER_WINDOW + 5; i++) log.refused({ i }, 'refused');
  assert.equal(lines.length, REFUSALS_LOGGED_PER_WINDOW);
  assert.equal(lines.at(-1)?.refusedUnlogged, undefined);

  now += REFUSAL_WINDOW_MS;
  log.refused({ i: 'next' }, 'refused');
  assert.deepEqual(lines.at(-1), { i: 'next', refusedUnlogged: 5 });
  log.refused({ i: 'after' }, 'refused');
  assert.deepEqual(lines.at(-1), { i: 'after' }, 'the count is reported once');
});
