import assert from 'node:assert/strict';
import { lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureFifos } from '../../src/logs/fifo.js';
import { batchFifoCreation } from '../../src/logs/fifo-batch.js';
import { makeTempHome } from '../helpers/temp-home.js';

test('FIFOs asked for in one synchronous step are made with one call', async (t) => {
  const home = makeTempHome(t);
  const calls: string[][] = [];
  const ensure = batchFifoCreation(async (paths) => {
    calls.push([...paths]);
    await ensureFifos(paths);
  });
  const out = [join(home, 'run', 'web.0.out'), join(home, 'run', 'web.0.err')];
  const notify = [join(home, 'run', 'web.0.notify')];
  await Promise.all([ensure(out), ensure(notify)]);
  assert.deepEqual(calls, [[...out, ...notify]]);
  for (const path of [...out, ...notify]) assert.ok(lstatSync(path).isFIFO(), path);

  // A later step gets a call of its own.
  const later = [join(home, 'run', 'web.1.out')];
  await ensure(later);
  assert.deepEqual(calls.at(-1), later);
  assert.equal(calls.length, 2);
});

test('when the call fails, only a caller whose own paths are still no FIFO gets the error', async (t) => {
  const home = makeTempHome(t);
  const made = [join(home, 'made.0.out')];
  const blocked = [join(home, 'blocked.0.out')];
  writeFileSync(blocked[0] as string, 'a regular file mkfifo cannot replace');
  const ensure = batchFifoCreation(async () => {
    await ensureFifos(made);
    throw new Error('mkfifo: cannot create blocked.0.out');
  });
  const outcomes = await Promise.allSettled([ensure(made), ensure(blocked)]);
  assert.equal(outcomes[0]?.status, 'fulfilled');
  assert.equal(outcomes[1]?.status, 'rejected');
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /cannot create blocked/);
});
