import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { signalProcess } from '../../src/process/signal-process.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { childrenOf, isProcessAlive, processGroupMembers, procState } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { createTestRuntime, makeSpec, startProcess, waitForText, waitUntil } from './harness.js';

/** Starts spawn-grandchild as an instance and waits until it reports its grandchild's pid. */
async function startFamily(t: TestContext) {
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
  return { runtime, started, grandchild: Number(grandchildText) };
}

test('a group signal reaches a grandchild, and SIGKILL to the group leaves no process and no zombie', async (t) => {
  const { runtime, started, grandchild } = await startFamily(t);
  assert.deepEqual(processGroupMembers(started.pid).sort(), [started.pid, grandchild].sort());

  runtime.signal(started.pid, 'SIGTERM', 'group');
  // The grandchild ignores SIGTERM; once the leader has exited, the runtime kills the rest of the
  // group and reports the exit only when nothing of it is left.
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGTERM' });
  assert.deepEqual(processGroupMembers(started.pid).filter(isProcessAlive), []);
  assert.equal(isProcessAlive(grandchild), false);
  const zombies = childrenOf(process.pid).filter((pid) => procState(pid) === 'Z');
  assert.deepEqual(zombies, []);
  assert.equal(childrenOf(process.pid).includes(started.pid), false);
});

test('a process signal reaches only the leader; the exit is reported once its group is gone', async (t) => {
  const { runtime, started, grandchild } = await startFamily(t);
  runtime.signal(started.pid, 'SIGSTOP', 'process');
  // The leader alone is stopped (state T); the grandchild still runs.
  await waitUntil(() => procState(started.pid) === 'T', 'the leader to stop');
  assert.notEqual(procState(grandchild), 'T');
  runtime.signal(started.pid, 'SIGKILL', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGKILL' });
  assert.equal(
    isProcessAlive(grandchild),
    false,
    'the rest of the group was ended with the leader',
  );
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
