import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  failed,
  PASSED,
  type ProbeCheck,
  type ProbeResult,
} from '../../src/health/probe-result.js';
import {
  FIRST_READINESS_RETRY_MS,
  type ProbeName,
  ProbeScheduler,
  type ScheduledProbe,
} from '../../src/health/probe-scheduler.js';
import { FAKE_START_MS, FakeRuntime } from '../supervisor/fake-runtime.js';

/** Lets the callbacks of settled checks run (the fake clock fires its timers synchronously). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface FakeCall {
  at: number;
  signal: AbortSignal;
  settle: (result: ProbeResult) => void;
}

/** A probe whose checks the test ends by hand: each runs until `pass()` or `fail()`. */
class FakeProbe {
  readonly calls: FakeCall[] = [];
  readonly #runtime: FakeRuntime;

  constructor(runtime: FakeRuntime) {
    this.#runtime = runtime;
  }

  readonly check: ProbeCheck = (signal) =>
    new Promise((settle) =>
      this.calls.push({ at: this.#runtime.now() - FAKE_START_MS, signal, settle }),
    );

  /** When each check started, in ms since the test began. */
  get startTimes(): number[] {
    return this.calls.map((call) => call.at);
  }

  async pass(): Promise<void> {
    this.#last().settle(PASSED);
    await flush();
  }

  async fail(reason = 'GET /healthz timed out after 1s'): Promise<void> {
    this.#last().settle(failed(reason));
    await flush();
  }

  #last(): FakeCall {
    const call = this.calls.at(-1);
    assert.ok(call, 'a check is running');
    return call;
  }
}

/** A fake clock, fake probes on it, and a scheduler whose every report is recorded as text. */
class Harness {
  readonly runtime = new FakeRuntime();
  readonly reports: string[] = [];

  probe(): FakeProbe {
    return new FakeProbe(this.runtime);
  }

  start(probes: Partial<Record<ProbeName, [FakeProbe, Partial<ScheduledProbe['spec']>?]>>) {
    const scheduled = (entry?: [FakeProbe, Partial<ScheduledProbe['spec']>?]) =>
      entry && {
        spec: {
          periodMs: 1000,
          failureThreshold: 3,
          successThreshold: 1,
          initialDelayMs: 0,
          ...entry[1],
        },
        check: entry[0].check,
      };
    const scheduler = new ProbeScheduler({
      runtime: this.runtime,
      startup: scheduled(probes.startup),
      readiness: scheduled(probes.readiness),
      liveness: scheduled(probes.liveness),
      events: {
        onStarted: () => this.reports.push('started'),
        onReady: () => this.reports.push('ready'),
        onNotReady: (reason) => this.reports.push(reason),
        onHung: (reason) => this.reports.push(reason),
      },
    });
    scheduler.start();
    return scheduler;
  }
}

test('liveness: three failures in a row report the instance hung with the last reason, then nothing runs', async () => {
  const h = new Harness();
  const liveness = h.probe();
  h.start({ liveness: [liveness] });
  assert.deepEqual(
    h.reports,
    ['started', 'ready'],
    'no startup and no readiness probe: ready at once',
  );
  await liveness.fail();
  h.runtime.advance(1000);
  await liveness.fail();
  h.runtime.advance(1000);
  await liveness.pass(); // a success ends the streak
  h.runtime.advance(1000);
  await liveness.fail();
  h.runtime.advance(1000);
  await liveness.fail();
  assert.deepEqual(h.reports, ['started', 'ready']);
  h.runtime.advance(1000);
  await liveness.fail('GET /healthz answered 500');
  assert.deepEqual(h.reports.slice(2), [
    'hung: liveness failed 3 times (GET /healthz answered 500)',
  ]);
  assert.deepEqual(liveness.startTimes, [0, 1000, 2000, 3000, 4000, 5000]);
  assert.equal(h.runtime.pendingTimerCount, 0);
  h.runtime.advance(60_000);
  assert.equal(liveness.calls.length, 6, 'no check after the instance is hung');
});

test('startup gates the others; their initial delays count from the spawn', async () => {
  const h = new Harness();
  const [startup, readiness, liveness] = [h.probe(), h.probe(), h.probe()];
  h.start({
    startup: [startup, { initialDelayMs: 500, failureThreshold: 10 }],
    readiness: [readiness, { initialDelayMs: 1000 }],
    liveness: [liveness, { initialDelayMs: 5000 }],
  });
  h.runtime.advance(499);
  assert.equal(startup.calls.length, 0, 'startup waits for its initial delay');
  h.runtime.advance(1);
  await startup.fail();
  h.runtime.advance(1000);
  await startup.fail();
  h.runtime.advance(1000);
  assert.equal(
    readiness.calls.length + liveness.calls.length,
    0,
    'nothing else before startup passes',
  );
  await startup.pass();
  assert.deepEqual(h.reports, ['started']);
  // At 2500 ms the readiness delay (1000 ms) is over: it runs at once; liveness waits for 5000 ms.
  assert.deepEqual(readiness.startTimes, [2500]);
  assert.equal(liveness.calls.length, 0);
  await readiness.pass();
  assert.deepEqual(h.reports, ['started', 'ready']);
  h.runtime.advance(2499);
  assert.equal(liveness.calls.length, 0);
  h.runtime.advance(1);
  assert.deepEqual(liveness.startTimes, [5000]);
  h.runtime.advance(60_000);
  assert.equal(startup.calls.length, 3, 'a startup probe that passed does not run again');
});

test('a startup probe that fails its threshold reports hung; the others never run', async () => {
  const h = new Harness();
  const [startup, liveness] = [h.probe(), h.probe()];
  h.start({ startup: [startup, { failureThreshold: 2 }], liveness: [liveness] });
  await startup.fail('exec ./check exited 2: db not up');
  h.runtime.advance(1000);
  await startup.fail('exec ./check exited 2: db not up');
  assert.deepEqual(h.reports, ['hung: startup failed 2 times (exec ./check exited 2: db not up)']);
  h.runtime.advance(60_000);
  assert.equal(liveness.calls.length, 0);
  assert.equal(h.runtime.pendingTimerCount, 0);
});

test('readiness toggles with its thresholds and never reports hung', async () => {
  const h = new Harness();
  const readiness = h.probe();
  h.start({ readiness: [readiness, { successThreshold: 2, failureThreshold: 2 }] });
  assert.deepEqual(h.reports, ['started'], 'not ready until readiness passes');
  await readiness.pass();
  assert.deepEqual(h.reports, ['started']);
  h.runtime.advance(1000);
  await readiness.pass();
  assert.deepEqual(h.reports, ['started', 'ready']);
  h.runtime.advance(1000);
  await readiness.fail('GET /ready answered 503');
  h.runtime.advance(1000);
  await readiness.fail('GET /ready answered 503');
  assert.deepEqual(h.reports.slice(2), [
    'not ready: readiness failed 2 times (GET /ready answered 503)',
  ]);
  for (let failures = 0; failures < 10; failures++) {
    h.runtime.advance(1000);
    await readiness.fail();
  }
  assert.equal(
    h.reports.length,
    3,
    'failing on while not ready reports nothing more, and never hung',
  );
  h.runtime.advance(1000);
  await readiness.pass();
  h.runtime.advance(1000);
  await readiness.pass();
  assert.deepEqual(h.reports.slice(3), ['ready']);
});

test('before the first readiness pass a failed check is retried within 100 ms; after it, at its period', async () => {
  const h = new Harness();
  const readiness = h.probe();
  h.start({ readiness: [readiness, { periodMs: 5000, failureThreshold: 1 }] });
  await readiness.fail('connect to port 3000 failed: connection refused');
  h.runtime.advance(FIRST_READINESS_RETRY_MS);
  await readiness.pass();
  assert.deepEqual(readiness.startTimes, [0, FIRST_READINESS_RETRY_MS]);
  assert.deepEqual(h.reports, ['started', 'ready']);
  h.runtime.advance(5000);
  await readiness.fail();
  h.runtime.advance(FIRST_READINESS_RETRY_MS);
  assert.equal(readiness.calls.length, 3, 'once ready, a failure waits a whole period');
  h.runtime.advance(5000 - FIRST_READINESS_RETRY_MS);
  assert.equal(readiness.calls.length, 4);
});

test('a check still running when its period comes is not run twice; the next follows it at once', async () => {
  const h = new Harness();
  const liveness = h.probe();
  h.start({ liveness: [liveness, { periodMs: 1000 }] });
  h.runtime.advance(3500);
  assert.equal(liveness.calls.length, 1, 'one check in flight, however many periods pass');
  await liveness.pass();
  assert.deepEqual(liveness.startTimes, [0, 3500]);
  await liveness.pass();
  h.runtime.advance(999);
  assert.equal(liveness.calls.length, 2);
  h.runtime.advance(1);
  assert.deepEqual(liveness.startTimes, [0, 3500, 4500]);
});

test('stop: timers are cancelled, the check under way is aborted, and its late result is ignored', async () => {
  const h = new Harness();
  const [readiness, liveness] = [h.probe(), h.probe()];
  const scheduler = h.start({
    readiness: [readiness],
    liveness: [liveness, { failureThreshold: 1 }],
  });
  await readiness.pass();
  assert.equal(scheduler.isReady, true);
  scheduler.stop();
  assert.equal(liveness.calls[0]?.signal.aborted, true);
  await liveness.fail();
  assert.deepEqual(h.reports, ['started', 'ready'], 'nothing reported after stop');
  assert.equal(h.runtime.pendingTimerCount, 0);
  h.runtime.advance(60_000);
  assert.equal(readiness.calls.length + liveness.calls.length, 2);
});

test('runNow runs liveness at once (a suspect instance), but never beside a run under way', async () => {
  const h = new Harness();
  const liveness = h.probe();
  const scheduler = h.start({ liveness: [liveness, { periodMs: 10_000 }] });
  scheduler.runNow('liveness');
  assert.equal(liveness.calls.length, 1, 'already running');
  await liveness.pass();
  h.runtime.advance(2000);
  scheduler.runNow('liveness');
  assert.deepEqual(liveness.startTimes, [0, 2000]);
  await liveness.pass();
  h.runtime.advance(9999);
  assert.equal(liveness.calls.length, 2);
  h.runtime.advance(1);
  assert.deepEqual(liveness.startTimes, [0, 2000, 12_000], 'the period counts from the run now');
});

test('a check that throws counts as a failure with the error in its reason', async () => {
  const h = new Harness();
  const reports: string[] = [];
  const scheduler = new ProbeScheduler({
    runtime: h.runtime,
    liveness: {
      spec: { periodMs: 1000, failureThreshold: 1, successThreshold: 1, initialDelayMs: 0 },
      check: () => Promise.reject(new Error('spawn EMFILE')),
    },
    events: { onHung: (reason) => reports.push(reason) },
  });
  scheduler.start();
  await flush();
  assert.deepEqual(reports, [
    'hung: liveness failed once (the liveness probe could not run: spawn EMFILE)',
  ]);
});
