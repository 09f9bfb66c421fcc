import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { sampleProcess } from '../../src/metrics/proc-sample.js';
import { childrenOf, procState } from '../helpers/proc.js';
import { elapse, startNode } from './child-process-fixture.js';

const BUSY_LOOP = "process.stdout.write('ready\\n'); for (;;) {}";
// A busy loop uses a whole core when it has one, but on a loaded 2-core machine it may get little
// of it: the tests only require that it shows CPU use (a cost per sample belongs in bench/).
const BUSY_FLOOR_PERCENT = 1;
const IDLE = "process.stdout.write('ready\\n'); setInterval(() => {}, 1e6);";
const ALLOCATED_BYTES = 64 * 1024 * 1024;
const MEASURE_WINDOW_MS = 500;

test('a busy process shows high CPU since the previous sample and since it started', async (t) => {
  const child = await startNode(t, BUSY_LOOP);
  const pid = child.pid ?? 0;
  const first = sampleProcess(pid);
  assert.ok(first);
  assert.equal(first.pid, pid);
  await elapse(MEASURE_WINDOW_MS);
  const second = sampleProcess(pid, first);
  assert.ok(second);
  assert.equal(second.startTime, first.startTime);
  assert.ok(second.cpuTicks > first.cpuTicks);
  assert.ok(
    second.cpuPercent > BUSY_FLOOR_PERCENT,
    `expected a busy loop above ${BUSY_FLOOR_PERCENT} %, got ${second.cpuPercent}`,
  );
  assert.ok(
    second.cpuPercent < 150,
    `one thread cannot use much more than one core: ${second.cpuPercent}`,
  );

  const sinceStart = sampleProcess(pid);
  assert.ok(sinceStart);
  assert.ok(
    sinceStart.cpuPercent > BUSY_FLOOR_PERCENT,
    `expected a busy average, got ${sinceStart.cpuPercent}`,
  );
});

test('an idle process shows low CPU since the previous sample', async (t) => {
  const child = await startNode(t, IDLE);
  const pid = child.pid ?? 0;
  const first = sampleProcess(pid);
  assert.ok(first);
  await elapse(MEASURE_WINDOW_MS);
  const second = sampleProcess(pid, first);
  assert.ok(second);
  assert.ok(
    second.cpuPercent < 20,
    `expected an idle process below 20 %, got ${second.cpuPercent}`,
  );
});

test('memory is the resident size, above what the process allocated and touched', async (t) => {
  const child = await startNode(
    t,
    `const kept = Buffer.alloc(${ALLOCATED_BYTES}, 1); globalThis.kept = kept; ${IDLE}`,
  );
  const sample = sampleProcess(child.pid ?? 0);
  assert.ok(sample);
  assert.ok(
    sample.memoryBytes > ALLOCATED_BYTES,
    `expected more than ${ALLOCATED_BYTES} bytes, got ${sample.memoryBytes}`,
  );
  assert.ok(sample.memoryBytes < 1024 ** 3);
});

test('a previous sample of another process with the same pid is not used as the baseline', async (t) => {
  const child = await startNode(t, IDLE);
  const pid = child.pid ?? 0;
  const real = sampleProcess(pid);
  assert.ok(real);
  // A sample of an earlier process that had this pid: had it been used, 10^6 ticks in 1 ms would show.
  const stale = {
    ...real,
    startTime: real.startTime - 1,
    cpuTicks: -1_000_000,
    at: Date.now() - 1,
  };
  const sample = sampleProcess(pid, stale);
  assert.ok(sample);
  assert.ok(sample.cpuPercent < 100, `expected the average since start, got ${sample.cpuPercent}`);
});

test('a process that is gone gives undefined', async (t) => {
  const child = await startNode(t, IDLE);
  const pid = child.pid ?? 0;
  assert.ok(sampleProcess(pid));
  const exited = once(child, 'exit');
  process.kill(pid, 'SIGKILL');
  await exited;
  assert.equal(sampleProcess(pid), undefined);
});

test('a zombie gives undefined', async (t) => {
  // The inner shell exits and its parent, once it has become `sleep`, never reaps it.
  const parent = spawn('sh', ['-c', 'sh -c "exit 0" & exec sleep 1000'], { stdio: 'ignore' });
  const exited = once(parent, 'exit');
  t.after(async () => {
    if (parent.exitCode === null && parent.signalCode === null && parent.pid) {
      process.kill(parent.pid, 'SIGKILL');
      await exited;
    }
  });
  const zombie = await waitForZombieChild(parent.pid ?? 0);
  assert.equal(sampleProcess(zombie), undefined);
});

test('pid 0 and a pid that cannot exist give undefined', () => {
  assert.equal(sampleProcess(0), undefined);
  assert.equal(sampleProcess(2 ** 31 - 1), undefined);
});

/** There is no event for "became a zombie": look at /proc until it shows, with a deadline. */
async function waitForZombieChild(ppid: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const zombie = childrenOf(ppid).find((pid) => procState(pid) === 'Z');
    if (zombie !== undefined) return zombie;
    await elapse(10);
  }
  throw new Error(`no zombie child of ${ppid} appeared`);
}
