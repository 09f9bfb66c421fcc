import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAKE_START_MS, FakeRuntime } from './fake-runtime.js';
import { makeSpec } from './harness.js';

test('advance fires due timers in time order, including ones set by a firing timer', () => {
  const runtime = new FakeRuntime();
  const fired: string[] = [];
  runtime.setTimer(30, () => fired.push(`c@${runtime.now() - FAKE_START_MS}`));
  runtime.setTimer(10, () => {
    fired.push(`a@${runtime.now() - FAKE_START_MS}`);
    runtime.setTimer(5, () => fired.push(`b@${runtime.now() - FAKE_START_MS}`));
  });
  runtime.setTimer(31, () => fired.push('late'));
  runtime.advance(30);
  assert.deepEqual(fired, ['a@10', 'b@15', 'c@30']);
  assert.equal(runtime.now(), FAKE_START_MS + 30);
  assert.equal(runtime.pendingTimerCount, 1);
});

test('a cancelled timer does not fire', () => {
  const runtime = new FakeRuntime();
  let isFired = false;
  runtime
    .setTimer(10, () => {
      isFired = true;
    })
    .cancel();
  runtime.advance(100);
  assert.equal(isFired, false);
});

test('a failed spawn starts nothing; an exit reaches the process once', () => {
  const runtime = new FakeRuntime();
  runtime.failNextSpawn('EACCES', 'permission denied');
  const request = { spec: makeSpec({ command: './app' }), instance: 0 };
  assert.deepEqual(
    runtime.spawn(request, () => {}),
    {
      ok: false,
      errno: 'EACCES',
      message: 'cannot start ./app: permission denied',
    },
  );
  const exits: unknown[] = [];
  const outcome = runtime.spawn(request, (exit) => exits.push(exit));
  assert.equal(outcome.ok, true);
  const pid = runtime.lastSpawn.pid;
  runtime.exit(pid, { signal: 'SIGSEGV' });
  assert.deepEqual(exits, [{ code: null, signal: 'SIGSEGV' }]);
  assert.throws(() => runtime.exit(pid, { code: 0 }), /already exited/);
});
