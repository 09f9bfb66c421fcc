import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { MetricsSampler } from '../../src/metrics/metrics-sampler.js';
import { elapse, startNode } from './child-process-fixture.js';

const BUSY_LOOP = "process.stdout.write('ready\\n'); for (;;) {}";
// A busy loop uses a whole core when it has one, but on a loaded 2-core machine it may get little
// of it: the tests only require that it shows CPU use, and more than an idle process.
const BUSY_FLOOR_PERCENT = 1;
const IDLE = "process.stdout.write('ready\\n'); setInterval(() => {}, 1e6);";
const WINDOW_MS = 300;

test('the sampler measures CPU since its previous sample of the pid', async (t) => {
  const busy = await startNode(t, BUSY_LOOP);
  const idle = await startNode(t, IDLE);
  const sampler = new MetricsSampler({ minCpuWindowMs: WINDOW_MS });
  const pids = [busy.pid ?? 0, idle.pid ?? 0];
  assert.equal(sampler.sampleAll(pids).size, 2);
  assert.equal(sampler.size, 2);

  await elapse(WINDOW_MS + 100);
  const samples = sampler.sampleAll(pids);
  const busyCpu = samples.get(pids[0] ?? 0)?.cpuPercent ?? -1;
  const idleCpu = samples.get(pids[1] ?? 0)?.cpuPercent ?? -1;
  assert.ok(
    busyCpu > BUSY_FLOOR_PERCENT,
    `expected the busy loop above ${BUSY_FLOOR_PERCENT} %, got ${busyCpu}`,
  );
  assert.ok(
    idleCpu >= 0 && idleCpu < busyCpu,
    `expected the idle process below the busy one, got ${idleCpu}`,
  );
});

test('a sample within the minimum window repeats the last CPU figure but fresh memory', async (t) => {
  const busy = await startNode(t, BUSY_LOOP);
  const pid = busy.pid ?? 0;
  const sampler = new MetricsSampler({ minCpuWindowMs: 60_000 });
  const first = sampler.sample(pid);
  assert.ok(first);
  await elapse(50);
  const second = sampler.sample(pid);
  assert.ok(second);
  assert.equal(second.cpuPercent, first.cpuPercent);
  assert.ok(second.at > first.at);
  assert.ok(second.memoryBytes > 0);
});

test('the sampler forgets a pid whose process is gone', async (t) => {
  const idle = await startNode(t, IDLE);
  const pid = idle.pid ?? 0;
  const sampler = new MetricsSampler();
  assert.ok(sampler.sample(pid));
  assert.equal(sampler.size, 1);
  const exited = once(idle, 'exit');
  process.kill(pid, 'SIGKILL');
  await exited;
  assert.equal(sampler.sample(pid), undefined);
  assert.equal(sampler.size, 0);
});

test('sampleAll forgets pids it is not asked about, and forget() drops one', async (t) => {
  const first = await startNode(t, IDLE);
  const second = await startNode(t, IDLE);
  const sampler = new MetricsSampler();
  sampler.sampleAll([first.pid ?? 0, second.pid ?? 0]);
  assert.equal(sampler.size, 2);
  sampler.sampleAll([first.pid ?? 0]);
  assert.equal(sampler.size, 1);
  sampler.forget(first.pid ?? 0);
  assert.equal(sampler.size, 0);
});
