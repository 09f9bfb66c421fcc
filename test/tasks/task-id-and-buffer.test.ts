import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instancesToStart } from '../../src/tasks/ready-buffer.js';
import { MAX_TASK_ID_LENGTH, newTaskId, taskIdProblem } from '../../src/tasks/task-id.js';

test('task ids are one safe path segment', () => {
  assert.equal(taskIdProblem('room-42_b'), null);
  for (const bad of [
    '',
    'a/b',
    '..',
    '.hidden',
    'a%2Fb',
    '-x',
    'x'.repeat(MAX_TASK_ID_LENGTH + 1),
  ]) {
    assert.notEqual(taskIdProblem(bad), null, bad);
  }
  assert.match(taskIdProblem('x'.repeat(10_000)) ?? '', /at most 64 characters, got 10000/);
});

test('fresh ids are valid and distinct', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newTaskId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.equal(taskIdProblem(id), null, id);
});

test('the ready buffer is refilled after each allocation, never past max', () => {
  assert.equal(instancesToStart({ total: 0, allocated: 0, max: 10, readyBuffer: 2 }), 2);
  assert.equal(instancesToStart({ total: 2, allocated: 1, max: 10, readyBuffer: 2 }), 1);
  assert.equal(instancesToStart({ total: 10, allocated: 9, max: 10, readyBuffer: 2 }), 0);
  assert.equal(instancesToStart({ total: 4, allocated: 0, max: 10, readyBuffer: 2 }), 0);
});
