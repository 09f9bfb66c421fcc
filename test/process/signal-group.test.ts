import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signalProcess } from '../../src/process/signal-process.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { childrenOf, isProcessAlive, processGroupMembers, procState } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { createTestRuntime, makeSpec, startProcess, waitForText, waitUntil } from './harness.js';

test('a group signal reaches a grandchild, and SIGKILL to the group leaves no process and no zombie', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'tree', args: [fixturePath('spawn-grandchild')] }),
  );
  const [, grandchildText] = (await waitForText(
    stdoutPath('tree'),
    /grandchild (\d+)\n/,
  )) as string[];
  const grandchild = Number(grandchildText);
  assert.deepEqual(processGroupMembers(started.pid).sort(), [started.pid, grandchild].sort());

  runtime.signal(started.pid, 'SIGTERM', 'group');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGTERM' });
  assert.equal(
    isProcessAlive(grandchild),
    true,
    'the grandchild ignores SIGTERM and outlives its parent',
  );

  runtime.signal(started.pid, 'SIGKILL', 'group');
  // The grandchild is no child of ours (init reaps it): no event tells us it died, so watch /proc.
  await waitUntil(
    () => !processGroupMembers(started.pid).some(isProcessAlive),
    'the group to be empty',
  );
  const zombies = childrenOf(process.pid).filter((pid) => procState(pid) === 'Z');
  assert.deepEqual(zombies, []);
  assert.equal(childrenOf(process.pid).includes(started.pid), false);
});

test('a process signal reaches only the leader', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'tree', args: [fixturePath('spawn-grandchild')] }),
  );
  const [, grandchildText] = (await waitForText(
    stdoutPath('tree'),
    /grandchild (\d+)\n/,
  )) as string[];
  runtime.signal(started.pid, 'SIGKILL', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGKILL' });
  assert.equal(isProcessAlive(Number(grandchildText)), true);
  runtime.signal(started.pid, 'SIGKILL', 'group'); // the group outlives its leader
  await waitUntil(() => !isProcessAlive(Number(grandchildText)), 'the grandchild to die');
});

test('signalling a process that is gone is not an error', async (t) => {
  const dir = makeTempHome(t);
  const { runtime } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { args: [fixturePath('exit-with'), '0'] }),
  );
  await started.exited;
  assert.doesNotThrow(() => runtime.signal(started.pid, 'SIGTERM', 'process'));
  assert.doesNotThrow(() => runtime.signal(started.pid, 'SIGTERM', 'group'));
});

test('a pid that would signal our own group or every process is refused', () => {
  for (const pid of [0, 1, -1, -42, 1.5, Number.NaN]) {
    assert.throws(() => signalProcess(pid, 'SIGTERM', 'group'), RangeError, `pid ${pid}`);
  }
});
