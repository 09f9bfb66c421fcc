import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeInstance, pidOf } from './harness.js';

const PORT_SPEC = { port: 3000, startTimeoutMs: 1_000, stopTimeoutMs: 500 } as const;

test('a program with a port that never listens stayed starting for ever: it is stopped after startTimeoutMs', () => {
  const { runtime, instance } = makeInstance(PORT_SPEC);
  void instance.start();
  const pid = pidOf(instance);
  assert.equal(instance.state, 'starting');
  runtime.advance(999);
  assert.deepEqual(runtime.signalsTo(pid), []);
  runtime.advance(1);
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group', 'SIGCONT/group']);
  assert.match(
    instance.snapshot().reason ?? '',
    /not ready within 1s \(port 3000 never answered\)/,
  );
  runtime.advance(500);
  assert.deepEqual(
    runtime.signalsTo(pid),
    ['SIGTERM/group', 'SIGCONT/group', 'SIGKILL/group', 'SIGKILL/process'],
    'escalates, also to a main process that left its group',
  );
  runtime.exit(pid, { signal: 'SIGKILL' });
  assert.equal(instance.state, 'waiting', 'a young death: restarted after a backoff, not at once');
  assert.match(instance.snapshot().reason ?? '', /^not ready within 1s/);
  assert.equal(instance.snapshot().stats.exits.at(-1)?.isFailure, true);
});

test('a program that never becomes ready ends errored instead of restarting for ever', () => {
  const { runtime, instance } = makeInstance({ ...PORT_SPEC, maxRestarts: 3 });
  void instance.start();
  for (let run = 0; run < 10 && instance.state !== 'errored'; run++) {
    if (instance.state === 'waiting')
      runtime.advance((instance.snapshot().nextRestartAt ?? 0) - runtime.now());
    const pid = pidOf(instance);
    runtime.advance(1_000);
    runtime.exit(pid, { signal: 'SIGTERM' });
  }
  assert.equal(instance.state, 'errored');
  assert.match(instance.snapshot().reason ?? '', /^not ready within 1s .*crashed 4 times/);
});

test('an instance that becomes ready in time is not stopped by the start timeout', () => {
  const { runtime, instance } = makeInstance(PORT_SPEC);
  void instance.start();
  const pid = pidOf(instance);
  runtime.advance(900);
  instance.markReady(pid);
  runtime.advance(10_000);
  assert.equal(instance.state, 'online');
  assert.deepEqual(runtime.signalsTo(pid), []);
});
