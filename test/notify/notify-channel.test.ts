import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { test } from 'node:test';
import { openFifoReadEnd } from '../../src/logs/fifo.js';
import { NotifyManager, notifyFifoPath } from '../../src/notify/notify-manager.js';
import type { NotifyDigest } from '../../src/notify/notify-parser.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { makeSpec } from '../supervisor/harness.js';

/** Starts the notify worker with the channel on fd 3, as the daemon does; `exited` resolves to its exit code. */
function startWorker(
  manager: NotifyManager,
  args: string[],
): { pid: number; exited: Promise<number | null> } {
  const fd = manager.openWriteEnd({ spec: makeSpec({ name: 'worker' }), instance: 0 });
  const child = spawn(process.execPath, [fixturePath('notify-worker'), ...args], {
    env: { ...process.env, TEND_NOTIFY_FD: '3' },
    stdio: ['ignore', 'ignore', 'inherit', fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { pid: child.pid ?? 0, exited };
}

test('a flood of 100 000 heartbeats reaches the daemon as a few coalesced digests', async (t) => {
  const home = makeTempHome(t);
  const digests: NotifyDigest[] = [];
  let onFlooded = (): void => {};
  const flooded = new Promise<void>((resolve) => {
    onFlooded = resolve;
  });
  const manager = new NotifyManager({
    home,
    onDigest: (name, instance, digest) => {
      assert.equal(`${name}:${instance}`, 'worker:0');
      digests.push(digest);
      if (digest.status === 'flooded') onFlooded();
    },
    onError: (error) => assert.fail(error),
  });
  t.after(() => manager.close());
  await manager.prepare('worker', 1);
  const worker = startWorker(manager, ['flood', '100000']);
  let isRunning = true;
  t.after(() => {
    if (isRunning) process.kill(worker.pid, 'SIGKILL');
  });
  await flooded;
  process.kill(worker.pid, 'SIGTERM');
  assert.equal(await worker.exited, 0);
  isRunning = false;
  const heartbeats = digests.reduce((sum, digest) => sum + digest.heartbeats, 0);
  assert.ok(heartbeats >= 100_000, `every heartbeat counted (${heartbeats})`);
  assert.ok(digests.some((digest) => digest.isReady));
  assert.ok(
    digests.length < 1_000,
    `one digest per read, not per line: ${digests.length} digests for 100 000 lines`,
  );
});

test('what a gone process left in the channel never reaches its replacement', async (t) => {
  const home = makeTempHome(t);
  let onFirst = (_digest: NotifyDigest): void => {};
  const first = new Promise<NotifyDigest>((resolve) => {
    onFirst = resolve;
  });
  const manager = new NotifyManager({
    home,
    onDigest: (_name, _instance, digest) => onFirst(digest),
    onError: (error) => assert.fail(error),
  });
  t.after(() => manager.close());
  await manager.prepare('worker', 1);
  const request = { spec: makeSpec({ name: 'worker' }), instance: 0 };
  // A process writes READY=1 and is gone before the daemon reads it: the next open drops it.
  const gone = manager.openWriteEnd(request);
  writeSync(gone, 'READY=1\n');
  closeSync(gone);
  // The replacement's first words come after whatever was left, on the same FIFO.
  const fresh = manager.openWriteEnd(request);
  writeSync(fresh, 'STATUS=fresh\n');
  closeSync(fresh);
  const digest = await first;
  assert.equal(digest.status, 'fresh');
  assert.equal(digest.isReady, false);
});

test('a process adopted from an earlier daemon is read again by attach, with what it sent meanwhile', async (t) => {
  const home = makeTempHome(t);
  const request = { spec: makeSpec({ name: 'worker' }), instance: 0 };
  const earlier = new NotifyManager({
    home,
    onDigest: () => {},
    onError: (error) => assert.fail(error),
  });
  await earlier.prepare('worker', 1);
  const writeEnd = earlier.openWriteEnd(request);
  t.after(() => closeSync(writeEnd));
  // The instance keeps a read end of its own while no daemon reads (as it does across a daemon crash).
  const held = openFifoReadEnd(notifyFifoPath(home, 'worker', 0));
  t.after(() => closeSync(held));
  earlier.close();
  writeSync(writeEnd, 'READY=1\nSTATUS=while away\n');
  let onDigest = (_digest: NotifyDigest): void => {};
  const first = new Promise<NotifyDigest>((resolve) => {
    onDigest = resolve;
  });
  const next = new NotifyManager({
    home,
    onDigest: (_name, _instance, digest) => onDigest(digest),
    onError: (error) => assert.fail(error),
  });
  t.after(() => next.close());
  next.attach('worker', 0);
  const digest = await first;
  assert.equal(digest.isReady, true);
  assert.equal(digest.status, 'while away');
});
