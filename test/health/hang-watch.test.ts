import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import {
  HangWatch,
  MEMORY_CHECK_INTERVAL_MS,
  MEMORY_CHECKS_OVER_LIMIT,
  STATUS_MIN_INTERVAL_MS,
} from '../../src/health/hang-watch.js';
import type { NotifyDigest } from '../../src/notify/notify-parser.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

const MIB = 1024 * 1024;
const PID = 4242;

function said(overrides: Partial<NotifyDigest>): NotifyDigest {
  return {
    isReady: false,
    heartbeats: 0,
    isWatchdogTrigger: false,
    isStopping: false,
    isShutdown: false,
    taskState: undefined,
    status: undefined,
    ignored: 0,
    ...overrides,
  };
}

function setUp(spec: Partial<ProgramSpecInput>) {
  const runtime = new FakeRuntime();
  const calls: string[] = [];
  let memory = 10 * MIB;
  let lastOutputAt: number | undefined;
  const watch = new HangWatch({
    runtime,
    actions: {
      declareHung: (name, instance, pid, reason) =>
        calls.push(`hung ${name}:${instance} ${pid} ${reason}`),
      markReady: (name, instance, pid) => calls.push(`ready ${name}:${instance} ${pid}`),
      noteStatus: (name, instance, pid, text) =>
        calls.push(`status ${name}:${instance} ${pid} ${text}`),
    },
    residentBytes: () => memory,
    lastOutputAt: () => lastOutputAt,
  });
  return {
    runtime,
    calls,
    watch,
    spec: makeSpec(spec),
    setMemory: (bytes: number) => {
      memory = bytes;
    },
    wrote: () => {
      lastOutputAt = runtime.now();
    },
  };
}

test('the watchdog starts at ready, each heartbeat pushes it back, and silence past it is a hang', () => {
  const { runtime, calls, watch, spec } = setUp({ watchdogMs: 2_000 });
  watch.spawned(spec, 0, PID);
  runtime.advance(10_000);
  assert.deepEqual(calls, [], 'nothing is due before the instance is ready');
  watch.ready('web', 0, PID);
  runtime.advance(1_500);
  watch.message('web', 0, said({ heartbeats: 3 }));
  runtime.advance(1_999);
  assert.deepEqual(calls, [], 'a heartbeat 1.5 s in moves the deadline to 3.5 s');
  runtime.advance(1);
  assert.deepEqual(calls, [`hung web:0 ${PID} hung: no heartbeat for 2s (--watchdog 2s)`]);
  runtime.advance(60_000);
  assert.equal(calls.length, 1, 'declared once');
});

test('STOPPING=1 ends the watchdog of that run; an exit ends all its watches', () => {
  const { runtime, calls, watch, spec } = setUp({ watchdogMs: 1_000, silenceTimeoutMs: 1_000 });
  watch.spawned(spec, 0, PID);
  watch.ready('web', 0, PID);
  watch.message('web', 0, said({ isStopping: true }));
  runtime.advance(5_000);
  assert.deepEqual(calls, []);
  watch.spawned(spec, 0, PID + 1);
  watch.ready('web', 0, PID + 1);
  watch.ended('web', 0, PID + 1);
  runtime.advance(5_000);
  assert.deepEqual(calls, []);
  assert.equal(runtime.pendingTimerCount, 0, 'no timer is left behind');
});

test('READY=1 makes the instance ready only with readiness notify', () => {
  const notify = setUp({ readiness: 'notify' });
  notify.watch.spawned(notify.spec, 1, PID);
  notify.watch.message('web', 1, said({ isReady: true }));
  assert.deepEqual(notify.calls, [`ready web:1 ${PID}`]);
  const plain = setUp({});
  plain.watch.spawned(plain.spec, 1, PID);
  plain.watch.message('web', 1, said({ isReady: true }));
  assert.deepEqual(plain.calls, []);
});

test('WATCHDOG=trigger is a hang at once', () => {
  const { calls, watch, spec } = setUp({});
  watch.spawned(spec, 0, PID);
  watch.message('web', 0, said({ isWatchdogTrigger: true }));
  assert.deepEqual(calls, [
    `hung web:0 ${PID} hung: the program reported itself hung (WATCHDOG=trigger)`,
  ]);
});

test('memory above the limit restarts only after several checks in a row; a dip starts the count again', () => {
  const { runtime, calls, watch, spec, setMemory } = setUp({ maxMemoryBytes: 300 * MIB });
  watch.spawned(spec, 0, PID);
  setMemory(412 * MIB);
  runtime.advance(MEMORY_CHECK_INTERVAL_MS * (MEMORY_CHECKS_OVER_LIMIT - 1));
  setMemory(200 * MIB);
  runtime.advance(MEMORY_CHECK_INTERVAL_MS);
  setMemory(412 * MIB);
  runtime.advance(MEMORY_CHECK_INTERVAL_MS * (MEMORY_CHECKS_OVER_LIMIT - 1));
  assert.deepEqual(calls, [], 'a spike shorter than the checks is no reason');
  runtime.advance(MEMORY_CHECK_INTERVAL_MS);
  assert.deepEqual(calls, [
    `hung web:0 ${PID} memory: 412 MiB resident, above --max-memory 300 MiB in 3 checks 1s apart`,
  ]);
});

test('silence counts from the latest line or the spawn, whichever is later', () => {
  const { runtime, calls, watch, spec, wrote } = setUp({ silenceTimeoutMs: 10_000 });
  watch.spawned(spec, 0, PID);
  runtime.advance(6_000);
  wrote();
  runtime.advance(9_999);
  assert.deepEqual(calls, []);
  runtime.advance(1);
  assert.deepEqual(calls, [`hung web:0 ${PID} hung: no output for 10s (--silence-timeout 10s)`]);
});

test('a line from an earlier run does not count for the new one', () => {
  const { runtime, calls, watch, spec, wrote } = setUp({ silenceTimeoutMs: 60_000 });
  wrote();
  runtime.advance(120_000);
  watch.spawned(spec, 0, PID);
  runtime.advance(59_999);
  assert.deepEqual(calls, []);
  runtime.advance(1);
  assert.match(calls[0] ?? '', /no output for 1m \(--silence-timeout 1m\)/);
});

test('STATUS goes on at once, then at most once a second with the latest text', () => {
  const { runtime, calls, watch, spec } = setUp({});
  watch.spawned(spec, 0, PID);
  watch.message('web', 0, said({ status: 'one' }));
  watch.message('web', 0, said({ status: 'two' }));
  watch.message('web', 0, said({ status: 'three' }));
  assert.deepEqual(calls, [`status web:0 ${PID} one`]);
  runtime.advance(STATUS_MIN_INTERVAL_MS);
  assert.deepEqual(calls, [`status web:0 ${PID} one`, `status web:0 ${PID} three`]);
});

test('what a process says after its run ended, or before one began, is dropped', () => {
  const { runtime, calls, watch, spec } = setUp({ readiness: 'notify', watchdogMs: 1_000 });
  watch.message('web', 0, said({ isReady: true, isWatchdogTrigger: true }));
  watch.spawned(spec, 0, PID);
  watch.ended('web', 0, PID);
  watch.message('web', 0, said({ isReady: true, isWatchdogTrigger: true, status: 'x' }));
  watch.ready('web', 0, PID);
  runtime.advance(10_000);
  assert.deepEqual(calls, []);
});
