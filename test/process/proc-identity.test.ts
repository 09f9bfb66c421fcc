import assert from 'node:assert/strict';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  isSameProcess,
  readBootId,
  readProcessStartTime,
} from '../../src/process/proc-identity.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { createTestRuntime, makeSpec, startProcess, waitForText } from './harness.js';

test('a live process has a stable start time, later than its parent, that identifies it', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const ours = readProcessStartTime(process.pid);
  assert.equal(typeof ours, 'number');

  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'forever', args: [fixturePath('forever')] }),
  );
  await waitForText(stdoutPath('forever'), /ready/);
  const theirs = readProcessStartTime(started.pid);
  assert.ok(theirs !== undefined && ours !== undefined && theirs >= ours);
  assert.equal(readProcessStartTime(started.pid), theirs);
  assert.equal(isSameProcess(started.pid, theirs), true);
  assert.equal(
    isSameProcess(started.pid, theirs + 1),
    false,
    'another start time is another process',
  );

  runtime.signal(started.pid, 'SIGTERM', 'process');
  await started.exited;
  assert.equal(readProcessStartTime(started.pid), undefined);
  assert.equal(isSameProcess(started.pid, theirs), false);
});

test('a pid that names no process has no start time', () => {
  for (const pid of [0, -1, 1.5, 2 ** 40]) assert.equal(readProcessStartTime(pid), undefined);
});

test('a process name with spaces and parentheses does not shift the fields', async (t) => {
  const dir = makeTempHome(t);
  const oddName = join(dir, 'a) b (c');
  symlinkSync('/bin/sleep', oddName); // the kernel names the process after the path it was started by
  const { runtime } = createTestRuntime(dir);
  const before = readProcessStartTime(process.pid);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'odd', command: oddName, args: ['30'] }),
  );
  assert.equal(readFileSync(`/proc/${started.pid}/comm`, 'utf8'), 'a) b (c\n');
  const startTime = readProcessStartTime(started.pid);
  const later = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'later', command: '/bin/sleep', args: ['30'] }),
  );
  const after = readProcessStartTime(later.pid);
  assert.ok(
    before !== undefined && startTime !== undefined && after !== undefined,
    'all three have a start time',
  );
  assert.ok(before <= startTime && startTime <= after, `${before} <= ${startTime} <= ${after}`);
  runtime.signal(started.pid, 'SIGKILL', 'process');
  runtime.signal(later.pid, 'SIGKILL', 'process');
  await Promise.all([started.exited, later.exited]);
});

test('the boot id is a UUID', () => {
  assert.match(
    readBootId() ?? '',
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  );
});
