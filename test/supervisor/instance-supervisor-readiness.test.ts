import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeInstance, pidOf } from './harness.js';

const HELD =
  'port 3000 is already in use by pid 4242 (python3), so this instance cannot listen on it';

test('regression: a run whose port another process holds is never ready, backs off, and gives up naming the port', async () => {
  const { runtime, instance, changes } = makeInstance({ port: 3000, maxRestarts: 2 });
  await instance.start();
  instance.noteNotReady(pidOf(instance), HELD);
  assert.equal(instance.state, 'starting');
  assert.equal(instance.snapshot().reason, HELD, 'the reason says why it is not ready yet');

  runtime.advance(40);
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(instance.state, 'waiting', 'a run that never became ready is a young death');
  assert.equal(
    instance.snapshot().reason,
    `code 1 40ms after starting (once); ${HELD}; restarting in 100ms`,
  );
  for (let death = 2; death <= 3; death++) {
    runtime.advance((instance.snapshot().nextRestartAt ?? 0) - runtime.now());
    assert.equal(instance.state, 'starting');
    runtime.advance(40);
    runtime.exit(pidOf(instance), { code: 1 });
  }
  assert.equal(instance.state, 'errored');
  assert.equal(
    instance.snapshot().reason,
    'crashed 3 times within 1m (backoff pauses not counted), each within 1s of starting; ' +
      `last exit: code 1; ${HELD}. Run \`tend restart web\` after fixing it.`,
  );
  assert.ok(
    changes.every((change) => change.state !== 'online'),
    'never online',
  );
});

test('a run that becomes ready after all drops the note, and its later death restarts at once', async () => {
  const { runtime, instance } = makeInstance({ port: 3000 });
  await instance.start();
  const pid = pidOf(instance);
  instance.noteNotReady(pid, HELD);
  instance.markReady(pid);
  assert.equal(instance.state, 'online');
  assert.equal(instance.snapshot().reason, null);
  runtime.advance(40);
  runtime.exit(pid, { code: 1 });
  assert.equal(instance.state, 'starting', 'a run that was ready counts as stable');
  runtime.advance(40);
  runtime.exit(pidOf(instance), { code: 1 });
  assert.equal(
    instance.snapshot().reason,
    'code 1 40ms after starting (once); restarting in 100ms',
  );
});

test('a note about another pid, or about an instance already online, is ignored', async () => {
  const { instance, changes } = makeInstance({ port: 3000 });
  await instance.start();
  instance.noteNotReady(pidOf(instance) + 1, HELD);
  assert.equal(instance.snapshot().reason, null);
  instance.markReady(pidOf(instance));
  const seen = changes.length;
  instance.noteNotReady(pidOf(instance), HELD);
  assert.equal(instance.snapshot().reason, null);
  assert.equal(changes.length, seen);
});
