import assert from 'node:assert/strict';
import { readFileSync, writeSync } from 'node:fs';
import { test } from 'node:test';
import { LogManager } from '../../src/logs/log-manager.js';
import { logFilePath } from '../../src/logs/log-paths.js';
import { isProcessAlive, procState } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import {
  EVENT_TIMEOUT_MS,
  nodeProgram,
  runCaptured,
  storedTexts,
  withinTimeout,
} from './capture-support.js';

const LINES = 3_000;
/**
 * About 300 KB, several times a pipe's 64 KiB, in blocking writes to fd 1 (process.stdout would
 * queue them in the writer's memory instead): the writer must sleep in the kernel while nothing is read.
 */
const WRITER = `const fs = require('node:fs'); for (let i = 1; i <= ${LINES}; i++) fs.writeSync(1, String(i).padStart(100, '.') + '\\n');`;

/** Resolves once `pid` sleeps in a write to a full pipe (its /proc wchan), read every 10 ms. */
async function untilBlockedOnPipe(pid: number): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('pipe_write')) {
    if (Date.now() > deadline) throw new Error(`process ${pid} never blocked on its pipe`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
  });
}

/**
 * A disk that fills up: once `fill()` is called, the next write goes half through and every
 * later one is refused with ENOSPC, until `free()`. Counts the refusals.
 */
function fillableDisk() {
  let isFull = false;
  let hasHalfWritten = false;
  let refusals = 0;
  let onRefusal: (() => void) | undefined;
  return {
    fill() {
      isFull = true;
    },
    free() {
      isFull = false;
    },
    get refusals() {
      return refusals;
    },
    /** Resolves once `count` writes were refused. */
    refused(count: number): Promise<void> {
      return new Promise((resolve) => {
        onRefusal = () => {
          if (refusals >= count) resolve();
        };
      });
    },
    writeBytes(fd: number, data: Buffer, offset: number, length: number): number {
      if (!isFull) return writeSync(fd, data, offset, length);
      if (!hasHalfWritten && length > 1) {
        hasHalfWritten = true;
        return writeSync(fd, data, offset, Math.floor(length / 2));
      }
      refusals += 1;
      onRefusal?.();
      throw enospc();
    },
  };
}

test('a full disk blocks the writer instead of losing lines, is reported once, and writing resumes by itself when space returns', async (t) => {
  const home = makeTempHome(t);
  const disk = fillableDisk();
  const reports: Array<Error | null> = [];
  let onReport: (() => void) | undefined;
  const manager = new LogManager({
    home,
    onError: (error) => {
      throw error;
    },
    onBlocked: (error) => {
      reports.push(error);
      onReport?.();
    },
    firstRetryDelayMs: 1,
    writeBytes: disk.writeBytes,
  });
  t.after(() => manager.close());
  const spec = nodeProgram('full');
  const firstLine = new Promise<void>((resolve) => {
    const unsubscribe = manager.onLine(() => {
      unsubscribe();
      disk.fill();
      resolve();
    });
  });
  const run = runCaptured(t, manager, spec, 0, WRITER);
  await withinTimeout(firstLine, 'the first line');
  // Several retries are refused, and the disk is still reported full only once.
  await withinTimeout(disk.refused(4), 'four refused writes');
  assert.equal(reports.length, 1);
  assert.match(reports[0]?.message ?? '', /ENOSPC/);
  assert.equal(manager.isBlocked, true);
  assert.ok(isProcessAlive(run.pid) && procState(run.pid) !== 'Z', 'the writer waits');
  // Reading stopped: the writer sleeps in the kernel on its full pipe (nothing reports that but /proc).
  await untilBlockedOnPipe(run.pid);

  const resumed = new Promise<void>((resolve) => {
    onReport = resolve;
  });
  disk.free();
  await withinTimeout(resumed, 'writing to resume');
  assert.deepEqual(reports.slice(1), [null], 'resumed, said once');
  assert.equal(manager.isBlocked, false);
  const exit = await withinTimeout(run.exited, 'the writer to finish');
  assert.deepEqual(exit, { code: 0, signal: null });
  await manager.whenIdle('full');
  const texts = storedTexts(readFileSync(logFilePath(home, 'full', 0, 'out'), 'utf8'));
  const numbers = texts.map((text) => Number(text.replace(/^\.+/, '')));
  assert.equal(
    numbers.length,
    LINES,
    'every line once (the half-written one completed, not repeated)',
  );
  assert.equal(
    numbers.findIndex((value, index) => value !== index + 1),
    -1,
    'in order',
  );
});

test('lines waiting for space stay whole while other streams are stored meanwhile (their stored form is formatted in memory the next chunk reuses)', async (t) => {
  const disk = fillableDisk();
  let onResumed: (() => void) | undefined;
  const blockedHome = makeTempHome(t);
  const blocked = new LogManager({
    home: blockedHome,
    onError: (error) => {
      throw error;
    },
    onBlocked: (error) => {
      if (error === null) onResumed?.();
    },
    firstRetryDelayMs: 1,
    writeBytes: disk.writeBytes,
  });
  t.after(() => blocked.close());
  const firstLine = new Promise<void>((resolve) => {
    const unsubscribe = blocked.onLine(() => {
      unsubscribe();
      disk.fill();
      resolve();
    });
  });
  const run = runCaptured(t, blocked, nodeProgram('waiting'), 0, WRITER);
  await withinTimeout(firstLine, 'the first line');
  await withinTimeout(disk.refused(2), 'two refused writes');

  const otherHome = makeTempHome(t);
  const other = new LogManager({
    home: otherHome,
    onError: (error) => {
      throw error;
    },
  });
  t.after(() => other.close());
  const otherRun = runCaptured(
    t,
    other,
    nodeProgram('meanwhile'),
    0,
    "for (let i = 0; i < 2000; i++) console.log('x'.repeat(60))",
  );
  await withinTimeout(otherRun.exited, 'the other writer to finish');
  await withinTimeout(other.whenIdle('meanwhile'), 'the other stream stored');

  const resumed = new Promise<void>((resolve) => {
    onResumed = resolve;
  });
  disk.free();
  await withinTimeout(resumed, 'writing to resume');
  await withinTimeout(run.exited, 'the writer to finish');
  await blocked.whenIdle('waiting');
  const texts = storedTexts(readFileSync(logFilePath(blockedHome, 'waiting', 0, 'out'), 'utf8'));
  assert.deepEqual(
    texts,
    Array.from({ length: LINES }, (_, index) => String(index + 1).padStart(100, '.')),
  );
});

test('a write error that waiting does not cure is reported per write, as before, and nothing blocks', async (t) => {
  const home = makeTempHome(t);
  const errors: Error[] = [];
  const reports: Array<Error | null> = [];
  let calls = 0;
  const manager = new LogManager({
    home,
    onError: (error) => errors.push(error),
    onBlocked: (error) => reports.push(error),
    writeBytes: (fd, data, offset, length) => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      return writeSync(fd, data, offset, length);
    },
  });
  t.after(() => manager.close());
  const run = runCaptured(t, manager, nodeProgram('eio'), 0, "console.log('one')");
  await withinTimeout(run.exited, 'the writer to finish');
  await manager.whenIdle('eio');
  assert.deepEqual(reports, []);
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /EIO/);
});

test('closed while the disk is still full: one last try, and the lines it could not write are counted in one error', async (t) => {
  const home = makeTempHome(t);
  const disk = fillableDisk();
  const errors: Error[] = [];
  let onBlocked: (() => void) | undefined;
  const manager = new LogManager({
    home,
    onError: (error) => errors.push(error),
    onBlocked: (error) => {
      if (error) onBlocked?.();
    },
    writeBytes: disk.writeBytes,
  });
  const blocked = new Promise<void>((resolve) => {
    onBlocked = resolve;
  });
  disk.fill();
  const run = runCaptured(
    t,
    manager,
    nodeProgram('closing'),
    0,
    "console.log('a'); console.log('b')",
  );
  await withinTimeout(blocked, 'the disk to be found full');
  await withinTimeout(run.exited, 'the writer to end');
  // A shutdown does not wait for space: a blocked stream counts as idle, close() says what is lost.
  await withinTimeout(manager.whenIdle('closing'), 'whenIdle while the disk is full');
  manager.close();
  assert.equal(errors.length, 1, errors.map((error) => error.message).join('\n'));
  assert.match(
    errors[0]?.message ?? '',
    /^\d+ line\(s\) read from .*closing\.0\.out could not be written to .* before the capture closed \(the disk is still full\)$/,
  );
});
