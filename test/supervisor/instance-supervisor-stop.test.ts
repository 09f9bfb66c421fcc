import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CANCELLED_START } from '../../src/supervisor/instance-supervisor.js';
import { makeInstance, pidOf } from './harness.js';

/** Whether a promise has settled, without waiting for it. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([promise, Promise.resolve(marker)])) !== marker;
}

test('stop sends the stop signal to the group and resolves when the process exits', async () => {
  const { runtime, instance } = makeInstance({ stopSignal: 'SIGINT' });
  await instance.start();
  const pid = pidOf(instance);
  const stopping = instance.stop();
  assert.equal(instance.state, 'stopping');
  assert.deepEqual(runtime.signalsTo(pid), ['SIGINT/group']);
  assert.equal(await isSettled(stopping), false);
  runtime.exit(pid, { code: 0 });
  await stopping;
  assert.equal(instance.state, 'stopped');
  assert.equal(instance.pid, null);
  assert.equal(runtime.pendingTimerCount, 0, 'the kill timer was cancelled');
  assert.deepEqual(runtime.signalsTo(pid), ['SIGINT/group', 'SIGKILL/group']);
});

test('stop escalates to SIGKILL on the group after stopTimeoutMs, and resolves on the exit', async () => {
  const { runtime, instance } = makeInstance({ stopTimeoutMs: 3000 });
  await instance.start();
  const pid = pidOf(instance);
  const stopping = instance.stop();
  runtime.advance(2999);
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group']);
  runtime.advance(1);
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group', 'SIGKILL/group', 'SIGKILL/process']);
  assert.equal(instance.state, 'stopping');
  assert.equal(await isSettled(stopping), false);
  runtime.exit(pid, { signal: 'SIGKILL' });
  await stopping;
  assert.equal(instance.state, 'stopped');
  assert.equal(instance.snapshot().reason, null);
});

test('an exit during a stop is not a failure and is not restarted, whatever the policy', async () => {
  const { runtime, instance } = makeInstance({ restart: 'always' });
  await instance.start();
  runtime.advance(10);
  const stopping = instance.stop();
  runtime.exit(pidOf(instance), { signal: 'SIGTERM' });
  await stopping;
  const { stats } = instance.snapshot();
  assert.equal(stats.exits[0]?.isFailure, false);
  assert.equal(stats.runs, 1);
  runtime.advance(60_000);
  assert.equal(runtime.spawns.length, 1);
});

test('stop twice sends one stop signal and both resolve on the exit', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const pid = pidOf(instance);
  const first = instance.stop();
  const second = instance.stop();
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group']);
  runtime.exit(pid, { code: 0 });
  await Promise.all([first, second]);
  assert.equal(instance.state, 'stopped');
});

test('stop when stopped resolves at once and signals nothing', async () => {
  const { runtime, instance, changes } = makeInstance();
  await instance.stop();
  assert.equal(runtime.signals.length, 0);
  assert.equal(changes.length, 0);
});

test('stop while waiting cancels the scheduled restart and resolves at once', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(instance.state, 'waiting');
  await instance.stop();
  assert.equal(instance.state, 'stopped');
  assert.equal(instance.snapshot().nextRestartAt, null);
  assert.equal(instance.snapshot().reason, null);
  runtime.advance(3_600_000);
  assert.equal(runtime.spawns.length, 1);
});

test('stop from errored resolves at once to stopped', async () => {
  const { runtime, instance } = makeInstance();
  runtime.failNextSpawn();
  await instance.start();
  await instance.stop();
  assert.equal(instance.state, 'stopped');
  assert.equal(instance.snapshot().reason, null);
});

test('start during a stop starts again once the process has exited', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const pid = pidOf(instance);
  const stopping = instance.stop();
  const starting = instance.start();
  assert.equal(runtime.spawns.length, 1, 'not before the old process is gone');
  runtime.exit(pid, { code: 0 });
  await stopping;
  const outcome = await starting;
  assert.equal(runtime.spawns.length, 2);
  assert.deepEqual(outcome, { ok: true, pid: runtime.lastSpawn.pid });
  assert.equal(instance.state, 'online');
  assert.equal(instance.snapshot().stats.restarts, 0, 'stop then start is not a restart');
});

test('stop after a start that waits for a stop cancels that start', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const pid = pidOf(instance);
  const restarting = instance.restart();
  const stopping = instance.stop();
  runtime.exit(pid, { code: 0 });
  await stopping;
  assert.deepEqual(await restarting, CANCELLED_START);
  assert.equal(instance.state, 'stopped');
  assert.equal(runtime.spawns.length, 1);
});

test('a stop timer that fires after the exit does nothing', async () => {
  const { runtime, instance } = makeInstance({ stopTimeoutMs: 1000 });
  await instance.start();
  const pid = pidOf(instance);
  const stopping = instance.stop();
  runtime.exit(pid, { code: 0 });
  await stopping;
  await instance.start();
  runtime.advance(5000);
  assert.equal(instance.state, 'online');
  assert.deepEqual(runtime.signalsTo(runtime.lastSpawn.pid), []);
});
