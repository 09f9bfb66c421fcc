import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDoneExit, isFailureExit, shouldRestart } from '../../src/supervisor/restart-policy.js';
import type { ProcessExit } from '../../src/supervisor/types.js';

const DONE_CODES = [3, 78];
const code = (value: number): ProcessExit => ({ code: value, signal: null });
const signal = (name: NodeJS.Signals): ProcessExit => ({ code: null, signal: name });

test('a non-zero code or a signal is a failure; code 0 and done codes are not', () => {
  assert.equal(isFailureExit(code(0), DONE_CODES), false);
  assert.equal(isFailureExit(code(1), DONE_CODES), true);
  assert.equal(isFailureExit(code(3), DONE_CODES), false);
  assert.equal(isFailureExit(signal('SIGSEGV'), DONE_CODES), true);
  assert.equal(isFailureExit(signal('SIGTERM'), DONE_CODES), true);
});

test('code 0 listed as done is still done', () => {
  assert.equal(isDoneExit(code(0), [0]), true);
  assert.equal(shouldRestart('always', code(0), [0]), false);
});

test('a signal is never a done exit', () => {
  assert.equal(isDoneExit(signal('SIGKILL'), DONE_CODES), false);
});

test('each policy decides per exit', () => {
  const cases: Array<[ProcessExit, boolean, boolean, boolean]> = [
    // exit, always, on-failure, never
    [code(0), true, false, false],
    [code(1), true, true, false],
    [code(3), false, false, false],
    [signal('SIGKILL'), true, true, false],
    [signal('SIGABRT'), true, true, false],
  ];
  for (const [exit, always, onFailure, never] of cases) {
    const label = JSON.stringify(exit);
    assert.equal(shouldRestart('always', exit, DONE_CODES), always, `always ${label}`);
    assert.equal(shouldRestart('on-failure', exit, DONE_CODES), onFailure, `on-failure ${label}`);
    assert.equal(shouldRestart('never', exit, DONE_CODES), never, `never ${label}`);
  }
});
