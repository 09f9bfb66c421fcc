import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAKE_START_MS } from './fake-runtime.js';
import { makeInstance, makeSpec, pidOf } from './harness.js';

test('start spawns this instance of the program at once and goes online', async () => {
  const { runtime, instance, changes } = makeInstance();
  const pending = instance.start();
  assert.equal(runtime.spawns.length, 1, 'spawned before the promise settles');
  const outcome = await pending;
  assert.deepEqual(outcome, { ok: true, pid: runtime.lastSpawn.pid });
  assert.equal(runtime.lastSpawn.request.instance, 0);
  assert.equal(runtime.lastSpawn.request.spec.name, 'web');
  assert.equal(instance.state, 'online');
  assert.equal(instance.pid, outcome.ok ? outcome.pid : -1);
  assert.deepEqual(
    changes.map((change) => change.state),
    ['online'],
  );
});

test('start while running does nothing and answers the running pid', async () => {
  const { runtime, instance, changes } = makeInstance();
  await instance.start();
  const again = await instance.start();
  assert.deepEqual(again, { ok: true, pid: pidOf(instance) });
  assert.equal(runtime.spawns.length, 1);
  assert.equal(changes.length, 1);
});

test('a spawn that fails leaves the instance errored with the OS reason, and no restart loop', async () => {
  const { runtime, instance } = makeInstance({ command: './nope' });
  runtime.failNextSpawn('ENOENT', 'no such file or directory');
  const outcome = await instance.start();
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'ENOENT',
    message: 'cannot start ./nope: no such file or directory',
  });
  assert.equal(instance.state, 'errored');
  assert.equal(instance.snapshot().reason, 'cannot start ./nope: no such file or directory');
  assert.equal(runtime.pendingTimerCount, 0);
  runtime.advance(3_600_000);
  assert.equal(runtime.spawns.length, 0);
});

test('a spawn that fails on an automatic restart errors instead of looping', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  runtime.advance(10);
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(instance.state, 'waiting');
  runtime.failNextSpawn('EACCES', 'permission denied');
  runtime.advance(100);
  assert.equal(instance.state, 'errored');
  assert.equal(instance.snapshot().reason, 'cannot start ./server: permission denied');
  runtime.advance(3_600_000);
  assert.equal(runtime.spawns.length, 1);
  assert.equal(runtime.pendingTimerCount, 0);
});

test('a runtime that throws instead of answering ok:false still leaves the instance errored', async () => {
  const { runtime, instance } = makeInstance();
  runtime.spawn = () => {
    throw Object.assign(new Error('spawn EINVAL'), { code: 'EINVAL' });
  };
  const outcome = await instance.start();
  assert.deepEqual(outcome, { ok: false, errno: 'EINVAL', message: 'spawn EINVAL' });
  assert.equal(instance.state, 'errored');
  assert.equal(instance.snapshot().reason, 'cannot start ./server: spawn EINVAL');
});

test('start from errored spawns again', async () => {
  const { runtime, instance } = makeInstance();
  runtime.failNextSpawn();
  await instance.start();
  const outcome = await instance.start();
  assert.equal(outcome.ok, true);
  assert.equal(instance.state, 'online');
  assert.equal(instance.snapshot().reason, null);
});

test('start while waiting spawns now and cancels the scheduled restart', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(instance.state, 'waiting');
  await instance.start();
  assert.equal(runtime.spawns.length, 2);
  assert.equal(instance.snapshot().nextRestartAt, null);
  runtime.advance(60_000);
  assert.equal(runtime.spawns.length, 2, 'the backoff timer did not spawn a second process');
});

test('the snapshot tells when the process started, when the state changed and when it went down', async () => {
  const { runtime, instance } = makeInstance();
  const fresh = instance.snapshot();
  assert.equal(fresh.state, 'stopped');
  assert.equal(fresh.startedAt, null);
  assert.equal(fresh.downSince, null);
  assert.equal(fresh.stateSince, FAKE_START_MS);
  runtime.advance(5);
  await instance.start();
  runtime.advance(2000);
  assert.equal(instance.snapshot().startedAt, FAKE_START_MS + 5);
  assert.equal(instance.snapshot().stateSince, FAKE_START_MS + 5);
  runtime.exit(pidOf(instance), { code: 1 });
  const restarted = instance.snapshot();
  assert.equal(restarted.downSince, FAKE_START_MS + 2005);
  assert.equal(restarted.startedAt, FAKE_START_MS + 2005);
  assert.equal(restarted.pid, runtime.lastSpawn.pid);
});

test('updateSpec applies to the next spawn', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const spec = makeSpec({ args: ['--new'] });
  instance.updateSpec(spec);
  runtime.advance(5000);
  runtime.exit(pidOf(instance), { code: 1 });
  assert.deepEqual(runtime.lastSpawn.request.spec.args, ['--new']);
});

test('markReady is harmless when the instance is already online, and ignores another pid', async () => {
  const { runtime, instance, changes } = makeInstance();
  await instance.start();
  instance.markReady(12345);
  instance.markReady(pidOf(instance));
  assert.equal(instance.state, 'online');
  assert.equal(changes.length, 1);
  assert.equal(runtime.spawns.length, 1);
});
