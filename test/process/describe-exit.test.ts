import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeErrno } from '../../src/process/describe-errno.js';
import { describeExit, exitStatusCode } from '../../src/process/describe-exit.js';

test('an exit is described by its code or its signal', () => {
  assert.equal(describeExit({ code: 0, signal: null }), 'exited with code 0');
  assert.equal(describeExit({ code: 3, signal: null }), 'exited with code 3');
  assert.equal(describeExit({ code: null, signal: 'SIGSEGV' }), 'killed by SIGSEGV');
});

test('the shell status of an exit is its code, or 128 + the signal number', () => {
  assert.equal(exitStatusCode({ code: 3, signal: null }), 3);
  assert.equal(exitStatusCode({ code: null, signal: 'SIGKILL' }), 137);
  assert.equal(exitStatusCode({ code: null, signal: 'SIGTERM' }), 143);
});

test('an OS error code is described in words, and an unknown one is kept', () => {
  assert.equal(describeErrno('ENOENT'), 'no such file or directory');
  assert.equal(describeErrno('EACCES'), 'permission denied');
  assert.equal(describeErrno('EWHATEVER'), 'EWHATEVER');
});
