import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceSupervisor } from '../../src/supervisor/instance-supervisor.js';
import type { FakeRuntime } from './fake-runtime.js';
import { makeInstance, pidOf } from './harness.js';

/** Lets the running process die `uptimeMs` after it started, then returns the delay the supervisor chose. */
function dieYoung(
  runtime: FakeRuntime,
  instance: InstanceSupervisor,
  uptimeMs = 10,
): number | null {
  runtime.advance(uptimeMs);
  runtime.exit(pidOf(instance), { signal: 'SIGSEGV' });
  const next = instance.snapshot().nextRestartAt;
  return next === null ? null : next - runtime.now();
}

/** Waits out the backoff, so that the next process runs. */
function waitOut(runtime: FakeRuntime, instance: InstanceSupervisor): void {
  const next = instance.snapshot().nextRestartAt;
  assert.notEqual(next, null, `expected a scheduled restart, state is ${instance.state}`);
  runtime.advance((next ?? 0) - runtime.now());
  assert.equal(instance.state, 'online');
}

test('the backoff doubles per young death, stops at its cap, and resets after a stable run', async () => {
  const { runtime, instance } = makeInstance({
    backoffInitialMs: 100,
    backoffMaxMs: 500,
    maxRestarts: 100,
  });
  await instance.start();
  const delays: Array<number | null> = [];
  for (let death = 0; death < 5; death++) {
    delays.push(dieYoung(runtime, instance));
    waitOut(runtime, instance);
  }
  assert.deepEqual(delays, [100, 200, 400, 500, 500]);
  assert.equal(instance.snapshot().reason, null, 'online has no reason');

  runtime.advance(1000);
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(instance.state, 'online', 'a stable run restarts at once');
  assert.equal(dieYoung(runtime, instance), 100, 'the backoff starts over');
});

test('the waiting reason says what happened and when the next start is', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  dieYoung(runtime, instance, 120);
  assert.equal(
    instance.snapshot().reason,
    'signal SIGSEGV 120ms after starting (once); restarting in 100ms',
  );
});

test('a crash loop from a fresh start gives up after maxRestarts young deaths, with the reason', async () => {
  const { runtime, instance, changes } = makeInstance(); // 10 restarts within 60 s, minUptime 1 s
  await instance.start();
  for (let death = 1; death <= 10; death++) {
    dieYoung(runtime, instance);
    assert.equal(instance.state, 'waiting', `death ${death} still waits`);
    waitOut(runtime, instance);
  }
  dieYoung(runtime, instance);
  assert.equal(instance.state, 'errored');
  assert.equal(
    instance.snapshot().reason,
    'crashed 11 times within 1m (backoff pauses not counted), each within 1s of starting; ' +
      'last exit: signal SIGSEGV. Run `tend restart web` after fixing it.',
  );
  assert.equal(changes.at(-1)?.state, 'errored');
  assert.equal(runtime.pendingTimerCount, 0);
  runtime.advance(3_600_000);
  assert.equal(runtime.spawns.length, 11);
});

test('a program healthy for hours that starts crash-looping gives up too', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  runtime.advance(3 * 3600 * 1000);
  runtime.exit(pidOf(instance), { signal: 'SIGSEGV' });
  assert.equal(instance.state, 'online', 'after hours up, restarted at once');
  for (let death = 1; death <= 10; death++) {
    dieYoung(runtime, instance);
    waitOut(runtime, instance);
  }
  dieYoung(runtime, instance);
  assert.equal(instance.state, 'errored');
});

test('young deaths far apart, with stable runs between, never give up', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  for (let cycle = 0; cycle < 30; cycle++) {
    dieYoung(runtime, instance);
    waitOut(runtime, instance);
    runtime.advance(2 * 60_000);
    runtime.exit(pidOf(instance), { code: 1 });
    assert.equal(instance.state, 'online', `cycle ${cycle}`);
  }
});

test('restart brings an errored instance back and forgets its crashes', async () => {
  const { runtime, instance } = makeInstance({ maxRestarts: 2 });
  await instance.start();
  dieYoung(runtime, instance);
  waitOut(runtime, instance);
  dieYoung(runtime, instance);
  waitOut(runtime, instance);
  dieYoung(runtime, instance);
  assert.equal(instance.state, 'errored');

  const outcome = await instance.restart();
  assert.equal(outcome.ok, true);
  assert.equal(instance.state, 'online');
  assert.equal(instance.snapshot().reason, null);
  assert.equal(dieYoung(runtime, instance), 100, 'backoff forgotten');
  waitOut(runtime, instance);
  dieYoung(runtime, instance);
  assert.equal(instance.state, 'waiting', 'intensity forgotten');
});

test('restart of a running instance stops it, then starts it, and counts a restart', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const pid = pidOf(instance);
  const restarting = instance.restart();
  assert.equal(instance.state, 'stopping');
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group']);
  runtime.exit(pid, { signal: 'SIGTERM' });
  const outcome = await restarting;
  assert.deepEqual(outcome, { ok: true, pid: runtime.lastSpawn.pid });
  assert.notEqual(runtime.lastSpawn.pid, pid);
  const { stats } = instance.snapshot();
  assert.equal(stats.restarts, 1);
  assert.equal(stats.failureRestarts, 0);
  assert.equal(stats.exits[0]?.isFailure, false);
});

test('restart of an instance that never ran is its first start, not a restart', async () => {
  const { instance } = makeInstance();
  await instance.restart();
  assert.equal(instance.state, 'online');
  assert.equal(instance.snapshot().stats.restarts, 0);
});

test('two restarts at once spawn one new process', async () => {
  const { runtime, instance } = makeInstance();
  await instance.start();
  const pid = pidOf(instance);
  const first = instance.restart();
  const second = instance.restart();
  runtime.exit(pid, { code: 0 });
  const [a, b] = await Promise.all([first, second]);
  assert.deepEqual(a, b);
  assert.equal(runtime.spawns.length, 2);
  assert.equal(instance.snapshot().stats.restarts, 1);
});

test('a stable restart is reported as one change, already online with the new pid', async () => {
  const { runtime, instance, changes } = makeInstance();
  await instance.start();
  runtime.advance(5000);
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(changes.length, 2);
  assert.equal(changes[1]?.state, 'online');
  assert.equal(changes[1]?.pid, runtime.lastSpawn.pid);
});
