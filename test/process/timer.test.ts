import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createNodeRuntime } from '../../src/process/node-runtime.js';
import { startTimer } from '../../src/process/timer.js';
import { withTimeout } from './harness.js';

const runtime = createNodeRuntime({
  openOutput: () => {
    throw new Error('no spawn in this test');
  },
});

test('a timer fires once after its delay, measured on the runtime clock', async () => {
  const startedAt = runtime.now();
  let fired = 0;
  await withTimeout(
    new Promise<void>((resolve) => {
      runtime.setTimer(30, () => {
        fired++;
        resolve();
      });
    }),
    'the timer',
  );
  assert.equal(fired, 1);
  assert.ok(runtime.now() - startedAt >= 29, `fired after ${runtime.now() - startedAt} ms`);
});

test('a cancelled timer never fires, while a later one does', async () => {
  let cancelledFired = false;
  const handle = runtime.setTimer(5, () => {
    cancelledFired = true;
  });
  handle.cancel();
  await withTimeout(
    new Promise<void>((resolve) => runtime.setTimer(25, resolve)),
    'the later timer',
  );
  assert.equal(cancelledFired, false);
});

test('a pending timer keeps the event loop alive', async () => {
  const timerModule = new URL('../../src/process/timer.js', import.meta.url).href;
  const script = `import(${JSON.stringify(timerModule)}).then((m) => m.startTimer(30, () => console.log('fired')))`;
  const { stdout } = await withTimeout(
    promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]),
    'the node process',
  );
  assert.equal(stdout, 'fired\n');
});

test('a delay longer than setTimeout allows fires at its full length, not after 1 ms', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fired = false;
  startTimer(2 ** 31 + 5, () => {
    fired = true;
  });
  t.mock.timers.tick(2 ** 31 - 1);
  assert.equal(fired, false);
  t.mock.timers.tick(5);
  assert.equal(fired, false);
  t.mock.timers.tick(1);
  assert.equal(fired, true);
});
