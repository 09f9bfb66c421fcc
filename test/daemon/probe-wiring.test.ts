import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { ProgramCore } from '../../src/core/program-core.js';
import { wireProbes } from '../../src/daemon/probe-wiring.js';
import { failed, PASSED, type ProbeResult } from '../../src/health/probe-result.js';
import { type ProbeName, ProbeScheduler } from '../../src/health/probe-scheduler.js';
import { isInstanceReady } from '../../src/supervisor/readiness.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

/** Lets the callbacks of settled checks run (the fake clock fires its timers synchronously). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const TIMED_OUT = 'GET /healthz timed out after 1s';

/**
 * A daemon core on the fake runtime with the probe wiring subscribed; each probe's checks answer
 * what `answers[probe]` says for the pid checked at that moment, and every check is recorded.
 */
function makeProbedDaemon() {
  const runtime = new FakeRuntime();
  const bus = new EventBus();
  const events: TendEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: '/nonexistent',
    onProblem: (message) => assert.fail(message),
  });
  const answers: Record<ProbeName, (pid: number) => ProbeResult> = {
    startup: () => PASSED,
    readiness: () => PASSED,
    liveness: () => PASSED,
  };
  const checks: Array<{ probe: ProbeName; pid: number; at: number }> = [];
  const pidOf = (index = 0) => core.get('web').pool.instance(index)?.pid ?? null;
  wireProbes(bus, core, runtime, (spec, index, callbacks) => {
    const pid = pidOf(index) ?? -1;
    const scheduled = (probe: ProbeName) => {
      const probeSpec = spec[`${probe}Probe`];
      return (
        probeSpec && {
          spec: probeSpec,
          check: async () => {
            checks.push({ probe, pid, at: runtime.now() });
            return answers[probe](pid);
          },
        }
      );
    };
    return new ProbeScheduler({
      runtime,
      startup: scheduled('startup'),
      readiness: scheduled('readiness'),
      liveness: scheduled('liveness'),
      events: callbacks,
    });
  });
  /** Moves the fake clock in steps of `stepMs`, letting checks settle after each. */
  const advance = async (totalMs: number, stepMs = 100) => {
    for (let elapsed = 0; elapsed < totalMs; elapsed += stepMs) {
      runtime.advance(stepMs);
      await flush();
    }
  };
  const add = async (overrides: Partial<ProgramSpecInput>) => {
    await core.add(makeSpec({ port: 3000, ...overrides }));
    await flush();
  };
  const snapshot = (index = 0) => core.get('web').pool.snapshot().instances[index];
  const kinds = (kind: TendEvent['kind']) => events.filter((event) => event.kind === kind);
  return { runtime, bus, core, events, answers, checks, pidOf, advance, add, snapshot, kinds };
}

const LIVENESS = { kind: 'http', path: '/healthz', periodMs: 1000 } as const;

test('liveness failing its threshold: the process is declared hung, killed, restarted with cause hung, and the exit keeps the reason', async () => {
  const daemon = makeProbedDaemon();
  await daemon.add({ readiness: 'none', livenessProbe: LIVENESS, stopTimeoutMs: 500 });
  const first = daemon.pidOf() as number;
  await daemon.advance(3000);
  assert.equal(daemon.runtime.signalsTo(first).length, 0, 'passing checks change nothing');

  daemon.answers.liveness = (pid) => (pid === first ? failed(TIMED_OUT) : PASSED);
  await daemon.advance(2000);
  assert.deepEqual(daemon.runtime.signalsTo(first), [], 'two failures are not the threshold');
  await daemon.advance(1000);
  assert.deepEqual(daemon.runtime.signalsTo(first), ['SIGTERM/group', 'SIGCONT/group']);
  const failures = daemon.kinds('instance.probe-failed');
  assert.equal(failures.length, 3);
  assert.deepEqual(failures[0]?.kind === 'instance.probe-failed' && failures[0].reason, TIMED_OUT);
  assert.equal(daemon.snapshot()?.lastProbeFailure?.reason, TIMED_OUT);

  // It ignores SIGTERM (a frozen process): SIGKILL after the stop timeout.
  await daemon.advance(500);
  assert.deepEqual(daemon.runtime.signalsTo(first).slice(2), ['SIGKILL/group', 'SIGKILL/process']);
  daemon.runtime.exit(first, { signal: 'SIGKILL' });
  await flush();
  const exit = daemon.snapshot()?.stats.exits.at(-1);
  assert.equal(exit?.reason, `hung: liveness failed 3 times (${TIMED_OUT})`);
  assert.equal(exit?.isFailure, true);
  const restarted = daemon.kinds('instance.restarted').at(-1);
  assert.equal(restarted?.kind === 'instance.restarted' && restarted.cause, 'hung');

  // The new process has a scheduler of its own; the old one checks nothing more.
  const second = daemon.pidOf() as number;
  assert.notEqual(second, first);
  const checksBefore = daemon.checks.length;
  await daemon.advance(5000);
  assert.ok(daemon.checks.slice(checksBefore).every((check) => check.pid === second));
  assert.ok(daemon.checks.length >= checksBefore + 4);
  assert.deepEqual(daemon.runtime.signalsTo(second), []);
});

test('startup gates: the instance stays starting until its startup probe passes, and liveness waits for it', async () => {
  const daemon = makeProbedDaemon();
  daemon.answers.startup = () => failed('connect to port 3000 failed: connection refused');
  await daemon.add({
    startupProbe: { kind: 'tcp', periodMs: 1000, failureThreshold: 30 },
    livenessProbe: LIVENESS,
  });
  await daemon.advance(10_000);
  assert.equal(daemon.snapshot()?.state, 'starting');
  assert.ok(daemon.checks.every((check) => check.probe === 'startup'));
  assert.equal(daemon.snapshot()?.lastProbeFailure?.probe, 'startup');

  daemon.answers.startup = () => PASSED;
  await daemon.advance(1000);
  assert.equal(daemon.snapshot()?.state, 'online');
  assert.equal(daemon.kinds('instance.ready').length, 1);
  await daemon.advance(2000);
  assert.ok(daemon.checks.some((check) => check.probe === 'liveness'));
});

test('a startup probe that never passes ends the process as hung: startup, and its budget is not cut by the start timeout', async () => {
  const daemon = makeProbedDaemon();
  daemon.answers.startup = () => failed('GET / answered 503');
  // 30 × 2 s = 60 s of startup budget, longer than the 30 s default start timeout.
  await daemon.add({ startupProbe: { kind: 'http', periodMs: 2000, failureThreshold: 30 } });
  const pid = daemon.pidOf() as number;
  // Checks at 0, 2, … 58 s: the 30th failure comes at 58 s.
  await daemon.advance(57_000, 1000);
  assert.deepEqual(daemon.runtime.signalsTo(pid), [], 'not killed at 30 s');
  await daemon.advance(1000, 1000);
  assert.deepEqual(daemon.runtime.signalsTo(pid), ['SIGTERM/group', 'SIGCONT/group']);
  assert.equal(daemon.snapshot()?.reason, 'hung: startup failed 30 times (GET / answered 503)');
});

test('readiness: the first pass makes it online; a failure streak marks it not ready (still online, nothing restarted); passing again makes it ready', async () => {
  const daemon = makeProbedDaemon();
  let isServing = false;
  daemon.answers.readiness = () => (isServing ? PASSED : failed('GET /ready answered 503'));
  await daemon.add({
    readiness: 'tcp',
    readinessProbe: { kind: 'http', path: '/ready', periodMs: 1000, failureThreshold: 2 },
  });
  await daemon.advance(300);
  assert.equal(daemon.snapshot()?.state, 'starting');
  isServing = true;
  // Before the first pass a failed check is retried within 100 ms, not a period later.
  await daemon.advance(100);
  assert.equal(daemon.snapshot()?.state, 'online');
  const online = daemon.snapshot();
  assert.ok(online && isInstanceReady(online));

  isServing = false;
  await daemon.advance(2000);
  const snapshot = daemon.snapshot();
  assert.equal(snapshot?.state, 'online', 'not-ready is a flag, not a state');
  assert.equal(snapshot?.notReady, 'not ready: readiness failed 2 times (GET /ready answered 503)');
  assert.equal(snapshot && isInstanceReady(snapshot), false);
  assert.equal(daemon.kinds('instance.not-ready').length, 1);
  const membership = daemon.kinds('instance.not-ready')[0];
  assert.equal(membership?.kind === 'instance.not-ready' && membership.pid, daemon.pidOf());
  assert.deepEqual(daemon.runtime.signalsTo(daemon.pidOf() as number), [], 'nothing restarted');

  isServing = true;
  await daemon.advance(1000);
  assert.equal(daemon.snapshot()?.notReady, null);
  assert.equal(daemon.kinds('instance.ready').length, 2, 'ready again is told on the bus');
});

test('a probe that keeps failing the same way is told up to its threshold, then again when its reason changes', async () => {
  const daemon = makeProbedDaemon();
  let reason = 'GET /ready answered 503';
  daemon.answers.readiness = () => failed(reason);
  await daemon.add({
    readiness: 'none',
    readinessProbe: { kind: 'http', path: '/ready', periodMs: 1000, failureThreshold: 2 },
  });
  await daemon.advance(10_000);
  assert.ok(daemon.checks.length >= 10);
  assert.equal(daemon.kinds('instance.probe-failed').length, 2);
  reason = 'GET /ready failed: connection refused';
  await daemon.advance(3000);
  assert.equal(daemon.kinds('instance.probe-failed').length, 3);
  assert.equal(daemon.snapshot()?.lastProbeFailure?.reason, reason);
});

test('the schedulers stop when the process exits, is stopped, or the program is removed', async () => {
  const daemon = makeProbedDaemon();
  await daemon.add({ readiness: 'none', livenessProbe: LIVENESS });
  await daemon.advance(2000);
  const stopping = daemon.core.stop('web');
  daemon.runtime.exit(daemon.runtime.spawns[0]?.pid as number, { code: 0 });
  await stopping;
  await flush();
  const checks = daemon.checks.length;
  await daemon.advance(5000);
  assert.equal(daemon.checks.length, checks, 'no check after the stop');

  await daemon.core.start('web');
  await daemon.advance(2000);
  assert.ok(daemon.checks.length > checks, 'a new process is probed');
  const removing = daemon.core.remove('web');
  daemon.runtime.exit(daemon.runtime.spawns[1]?.pid as number, { code: 0 });
  await removing;
  const afterRemove = daemon.checks.length;
  await daemon.advance(5000);
  assert.equal(daemon.checks.length, afterRemove);
});

test('an instance the proxy reports suspect has its liveness probe run at once', async () => {
  const daemon = makeProbedDaemon();
  await daemon.add({
    readiness: 'none',
    livenessProbe: { ...LIVENESS, periodMs: 10_000 },
  });
  await flush();
  const pid = daemon.pidOf() as number;
  const before = daemon.checks.length;
  daemon.bus.emit({
    kind: 'instance.suspect',
    program: 'web',
    instance: 0,
    role: 'instance',
    pid,
    reason: 'no response head within 60000 ms',
  });
  await flush();
  assert.equal(daemon.checks.length, before + 1);
  // A report about an earlier process does nothing.
  daemon.bus.emit({
    kind: 'instance.suspect',
    program: 'web',
    instance: 0,
    role: 'instance',
    pid: pid + 1,
    reason: 'stale',
  });
  await flush();
  assert.equal(daemon.checks.length, before + 1);
});

test('a liveness probe alone leaves readiness to the TCP check, and waits for it before its first check', async () => {
  const daemon = makeProbedDaemon();
  await daemon.add({ readiness: 'tcp', livenessProbe: LIVENESS });
  await daemon.advance(3000);
  assert.equal(daemon.snapshot()?.state, 'starting');
  assert.deepEqual(daemon.checks, [], 'liveness waits until the instance is online');
  daemon.core.markReady('web', 0, daemon.pidOf() as number);
  assert.equal(daemon.snapshot()?.state, 'online');
  await flush();
  assert.equal(daemon.checks.length, 1, 'then it runs at once (no initial delay)');
});
