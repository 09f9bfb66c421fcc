import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureFifosSync, openFifoReadEnd, openFifoWriteEnd } from '../../src/logs/fifo.js';
import { findHolders, holderProcesses } from '../../src/logs/holder-process.js';
import { isProcessAlive } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { withinTimeout } from './capture-support.js';

/** What `pid` has open, as the paths its fds name. */
function openPaths(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

test('a holder keeps what a writer that exited wrote, for a reader that comes later, which then sees end-of-file', async (t) => {
  const home = makeTempHome(t);
  const fifo = join(home, 'run', 'w.0.out');
  const other = join(home, 'run', 'w.0.err');
  ensureFifosSync([fifo, other]);
  const port = holderProcesses(home);
  let onExit = () => {};
  const exited = new Promise<void>((resolve) => {
    onExit = resolve;
  });
  const holder = port.start([fifo, other], () => onExit());
  t.after(() => killQuietly(holder.pid));
  assert.deepEqual(
    openPaths(holder.pid)
      .filter((path) => path.startsWith(home))
      .sort(),
    [other, fifo].sort(),
    'the holder holds both FIFOs',
  );
  assert.equal(openPaths(process.pid).includes(fifo), false, "the daemon's copies are closed");
  assert.deepEqual(findHolders(home), [holder], 'the next daemon finds it by /proc');
  assert.deepEqual(findHolders(join(home, 'elsewhere')), [], 'and only in its own home');

  // A writer that is the only other process on the FIFO writes, exits, and nobody has read.
  const writeEnd = openFifoWriteEnd(fifo);
  const writer = spawn('sh', ['-c', 'for i in 1 2 3; do echo "line $i"; done'], {
    stdio: ['ignore', writeEnd, 'ignore'],
  });
  closeSync(writeEnd);
  const [code] = (await once(writer, 'exit')) as [number | null];
  assert.equal(code, 0);

  const reader = openFifoReadEnd(fifo);
  t.after(() => closeSync(reader));
  const buffer = Buffer.alloc(1024);
  const length = readSync(reader, buffer);
  assert.equal(buffer.toString('utf8', 0, length), 'line 1\nline 2\nline 3\n');
  // No write end is held by anyone: the reader sees end-of-file, as tend's capture needs.
  assert.equal(readSync(reader, buffer), 0);

  port.end(holder);
  // The holder is unref'd (it must not keep a daemon alive): the timeout keeps this test's loop up.
  await withinTimeout(exited, 'the holder to exit');
  assert.deepEqual(findHolders(home), []);
});

test('ending a holder whose pid names another process now (a different start time) signals nothing', async (t) => {
  const home = makeTempHome(t);
  const bystander = spawn('sleep', ['infinity'], { stdio: 'ignore' });
  const pid = bystander.pid;
  assert.ok(pid !== undefined);
  t.after(() => killQuietly(pid));
  holderProcesses(home).end({ pid, startTime: 1 });
  assert.equal(isProcessAlive(pid), true);
});
