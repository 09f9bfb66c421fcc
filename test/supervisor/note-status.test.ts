import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeInstance, pidOf } from './harness.js';

test('STATUS text is kept for the current process, ignored for a stale pid, and cleared by a new process', () => {
  const { runtime, instance } = makeInstance({ minUptimeMs: 0 });
  void instance.start();
  const pid = pidOf(instance);
  assert.equal(instance.noteStatus(pid + 1, 'not me'), false);
  assert.equal(instance.snapshot().statusText, null);
  assert.equal(instance.noteStatus(pid, 'serving 3 clients'), true);
  assert.equal(instance.snapshot().statusText, 'serving 3 clients');
  runtime.exit(pid, { code: 1 });
  assert.equal(instance.snapshot().statusText, null, 'the replacement has said nothing yet');
  assert.notEqual(pidOf(instance), pid);
});
