import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceSupervisor } from '../../src/supervisor/instance-supervisor.js';
import { isInstanceReady, startDeadlineMs } from '../../src/supervisor/readiness.js';
import type { InstanceFact } from '../../src/supervisor/types.js';
import { FakeRuntime } from './fake-runtime.js';
import { makeSpec, pidOf } from './harness.js';

const NOT_READY = 'not ready: readiness failed 3 times (GET /ready answered 503)';

function probedInstance() {
  const runtime = new FakeRuntime();
  const facts: InstanceFact[] = [];
  const instance = new InstanceSupervisor({
    spec: makeSpec({ port: 3000, readinessProbe: { kind: 'http', path: '/ready' } }),
    index: 0,
    runtime,
    onChange: () => {},
    onFact: (fact) => facts.push(fact),
  });
  return { runtime, instance, facts };
}

test('a readiness or startup probe keeps the instance starting until markReady', () => {
  const { instance } = probedInstance();
  void instance.start();
  assert.equal(instance.state, 'starting');
  instance.markReady(pidOf(instance));
  assert.equal(instance.state, 'online');
});

test('not ready is a flag on an online process: set once, cleared by markReady, ignored for another pid or state', () => {
  const { instance, facts } = probedInstance();
  void instance.start();
  const pid = pidOf(instance);
  instance.markNotReady(pid, NOT_READY);
  assert.equal(instance.snapshot().notReady, null, 'a starting instance is not ready anyway');
  instance.markReady(pid);
  instance.markNotReady(pid + 1, NOT_READY);
  assert.equal(instance.snapshot().notReady, null, 'another pid');
  instance.markNotReady(pid, NOT_READY);
  instance.markNotReady(pid, 'again');
  const snapshot = instance.snapshot();
  assert.equal(snapshot.state, 'online');
  assert.equal(snapshot.notReady, NOT_READY);
  assert.equal(isInstanceReady(snapshot), false);
  assert.equal(facts.filter((fact) => fact.type === 'not-ready').length, 1);
  instance.markReady(pid);
  assert.equal(instance.snapshot().notReady, null);
  assert.equal(isInstanceReady(instance.snapshot()), true);
  assert.equal(facts.filter((fact) => fact.type === 'ready').length, 2);
});

test('the flag goes with the process: its replacement starts without it', () => {
  const { runtime, instance } = probedInstance();
  void instance.start();
  const pid = pidOf(instance);
  instance.markReady(pid);
  instance.markNotReady(pid, NOT_READY);
  runtime.advance(5000);
  runtime.exit(pid, { code: 1 });
  assert.equal(instance.snapshot().notReady, null);
});

test('the last probe failure is kept across processes; a stale pid is ignored', () => {
  const { runtime, instance, facts } = probedInstance();
  void instance.start();
  const pid = pidOf(instance);
  const failure = { probe: 'liveness' as const, reason: 'GET /healthz answered 500', at: 1 };
  instance.noteProbeFailure(pid + 7, failure);
  assert.equal(instance.snapshot().lastProbeFailure, null);
  instance.noteProbeFailure(pid, failure);
  assert.deepEqual(instance.snapshot().lastProbeFailure, failure);
  assert.deepEqual(facts.at(-1), {
    type: 'probe-failed',
    pid,
    probe: 'liveness',
    reason: 'GET /healthz answered 500',
  });
  runtime.advance(5000);
  runtime.exit(pid, { code: 1 });
  assert.deepEqual(instance.snapshot().lastProbeFailure, failure);
});

test('the start deadline is startTimeoutMs, stretched to a startup probe budget that is longer', () => {
  assert.equal(startDeadlineMs(makeSpec({ startTimeoutMs: 30_000 })), 30_000);
  const slow = makeSpec({
    port: 3000,
    startTimeoutMs: 30_000,
    startupProbe: { kind: 'tcp', periodMs: 10_000, failureThreshold: 30, initialDelayMs: 5000 },
  });
  assert.equal(startDeadlineMs(slow), 5000 + 30 * 10_000 + 1000);
  const quick = makeSpec({
    port: 3000,
    startTimeoutMs: 30_000,
    startupProbe: { kind: 'tcp', periodMs: 1000, failureThreshold: 3 },
  });
  assert.equal(startDeadlineMs(quick), 30_000);
});
