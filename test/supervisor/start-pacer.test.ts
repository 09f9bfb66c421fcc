import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import { ProgramSupervisor } from '../../src/supervisor/program-supervisor.js';
import { pacedStartDelayMs } from '../../src/supervisor/start-pacer.js';
import { FakeRuntime } from './fake-runtime.js';
import { makeSpec } from './harness.js';

const LIMIT = 4;
/** Longer than any timer these pools set but the start timeout's. */
const LATER_MS = 10_000;

/** A pool on the fake runtime whose starts are paced LIMIT at a time. */
function makePacedPool(overrides: Partial<ProgramSpecInput>) {
  const runtime = new FakeRuntime();
  const pool = new ProgramSupervisor({
    spec: makeSpec(overrides),
    runtime,
    onChange: () => {},
    pacing: { limit: LIMIT },
  });
  const states = () => pool.snapshot().instances.map((instance) => instance.state);
  return { runtime, pool, states };
}

/** A paced pool of `instances`, started and every instance ready (the waves run on the fake clock). */
async function startOnlinePool(instances: number) {
  const paced = makePacedPool({ instances, port: 3000 });
  await paced.pool.start();
  for (let turn = 0; turn * LIMIT < instances; turn++) {
    for (const instance of paced.pool.instances) instance.markReady();
    paced.runtime.advance(0);
  }
  assert.deepEqual(paced.states(), Array(instances).fill('online'));
  return paced;
}

test('a pool larger than the limit starts `limit` instances at once, and the next one after each becomes ready', async () => {
  const { runtime, pool, states } = makePacedPool({ instances: 10, port: 3000 });
  const outcomes = await pool.start();
  assert.equal(outcomes.length, LIMIT, 'the outcomes of the instances started at once');
  assert.ok(outcomes.every((outcome) => outcome.ok));
  assert.deepEqual(states(), [...Array(LIMIT).fill('starting'), ...Array(6).fill('stopped')]);

  pool.instance(0)?.markReady();
  pool.instance(1)?.markReady();
  assert.equal(runtime.spawns.length, LIMIT, 'the next starts wait for a turn of the event loop');
  runtime.advance(0);
  assert.equal(runtime.spawns.length, LIMIT + 2);
  assert.deepEqual(states().slice(0, 7), [
    'online',
    'online',
    'starting',
    'starting',
    'starting',
    'starting',
    'stopped',
  ]);
  for (const instance of pool.instances) instance.markReady();
  runtime.advance(0);
  for (const instance of pool.instances) instance.markReady();
  runtime.advance(0);
  assert.deepEqual(states(), Array(10).fill('online'));
  assert.equal(runtime.spawns.length, 10, 'each instance spawned once');
});

test('a start keeps its slot until its instance leaves starting: the start timeout bounds the wait', async () => {
  const startTimeoutMs = 5_000;
  const { runtime, pool } = makePacedPool({ instances: 10, port: 3000, startTimeoutMs });
  // A process told to stop (its start timed out) exits at once.
  const exitSignalled = () => {
    for (const process of runtime.spawns) {
      if (process.isAlive && runtime.signalsTo(process.pid).length > 0)
        runtime.exit(process.pid, { signal: 'SIGTERM' });
    }
    runtime.advance(0);
  };
  const started = () => new Set(runtime.spawns.map((process) => process.request.instance)).size;
  await pool.start();
  runtime.advance(startTimeoutMs - 1);
  assert.equal(started(), LIMIT, 'slow to become ready: the others wait');
  runtime.advance(1);
  exitSignalled();
  assert.equal(started(), 2 * LIMIT, 'stopped by their start timeout: their places free');
  runtime.advance(startTimeoutMs);
  exitSignalled();
  assert.equal(started(), 10);
  const firstSpawnOf = (instance: number) =>
    runtime.spawns.find((process) => process.request.instance === instance)?.spawnedAt ??
    Number.NaN;
  assert.equal(
    firstSpawnOf(9) - firstSpawnOf(0),
    pacedStartDelayMs(10, startTimeoutMs, LIMIT),
    'the bound a waiting CLI adds',
  );
});

test('pacedStartDelayMs: nothing for a pool within the limit, one start deadline per further wave', () => {
  assert.equal(pacedStartDelayMs(1, 30_000), 0);
  assert.equal(pacedStartDelayMs(16, 30_000), 0);
  assert.equal(pacedStartDelayMs(17, 30_000), 30_000);
  assert.equal(pacedStartDelayMs(1_000, 30_000), 62 * 30_000);
  assert.equal(pacedStartDelayMs(1_000, 0), 0, 'online at spawn: waves are turns of the loop');
});

test('instances online as soon as spawned (no readiness check) start `limit` per turn, not all in one', async () => {
  const { runtime, pool, states } = makePacedPool({ instances: 10 });
  // Spawns per timer callback: each later turn is one (the fake clock runs chained zero-delay timers in one advance).
  const perTurn: number[] = [];
  const setTimer = runtime.setTimer.bind(runtime);
  runtime.setTimer = (delayMs, onFire) =>
    setTimer(delayMs, () => {
      const before = runtime.spawns.length;
      onFire();
      perTurn.push(runtime.spawns.length - before);
    });
  await pool.start();
  assert.equal(runtime.spawns.length, LIMIT, 'the first turn');
  runtime.advance(0);
  assert.deepEqual(perTurn, [LIMIT, 10 - 2 * LIMIT]);
  assert.deepEqual(states(), Array(10).fill('online'));
});

test('a stop during a paced start starts nothing more', async () => {
  const { runtime, pool, states } = makePacedPool({ instances: 10, port: 3000 });
  await pool.start();
  const stopped = pool.stop();
  for (const process of runtime.spawns) runtime.exit(process.pid, { signal: 'SIGTERM' });
  await stopped;
  runtime.advance(LATER_MS);
  assert.equal(runtime.spawns.length, LIMIT);
  assert.deepEqual(states(), Array(10).fill('stopped'));
});

test('growing a pool paces the added instances; an instance removed before its turn never starts', async () => {
  const { runtime, pool } = makePacedPool({ instances: 2, port: 3000 });
  await pool.start();
  for (const instance of pool.instances) instance.markReady();
  const added = await pool.updateSpec(makeSpec({ instances: 10, port: 3000 }));
  assert.equal(added.length, LIMIT);
  assert.equal(runtime.spawns.length, 2 + LIMIT);

  await pool.updateSpec(makeSpec({ instances: 7, port: 3000 }));
  for (const instance of pool.instances) instance.markReady();
  runtime.advance(LATER_MS);
  assert.deepEqual(
    runtime.spawns.map((process) => process.request.instance),
    [0, 1, 2, 3, 4, 5, 6],
    'instances 7-9 were removed before their turn',
  );
});

test('startInstance (a task slot refilled) waits for a place like the pool start: a burst of refills starts `limit` at a time', async () => {
  const { runtime, pool, states } = await startOnlinePool(10);
  // Every slot's process is stopped at once (their tasks ended), then each is refilled.
  await Promise.all(
    pool.instances.map((instance) => {
      const stopped = instance.stop();
      runtime.exit(instance.pid as number, { signal: 'SIGTERM' });
      return stopped;
    }),
  );
  for (const instance of pool.instances) pool.startInstance(instance.index);
  assert.deepEqual(states(), [...Array(LIMIT).fill('starting'), ...Array(6).fill('stopped')]);
  for (const instance of pool.instances) instance.markReady();
  runtime.advance(0);
  assert.equal(states().filter((state) => state === 'starting').length, LIMIT);
  assert.equal(runtime.spawns.length, 10 + 2 * LIMIT);
});

test('startInstance does nothing for a pool that should not run', () => {
  const { runtime, pool } = makePacedPool({ instances: 2, port: 3000 });
  pool.startInstance(0);
  runtime.advance(LATER_MS);
  assert.equal(runtime.spawns.length, 0);
});

test('a restart of a pool larger than the limit is paced: at most `limit` instances out at once, each holding its place from its stop until it is ready', async () => {
  const { runtime, pool, states } = await startOnlinePool(10);
  const firstRun = new Set(runtime.spawns.map((process) => process.pid));
  /** Ends the old processes that were told to stop, as a process that obeys SIGTERM does. */
  const obeyStops = (): void => {
    for (const process of runtime.spawns) {
      if (process.isAlive && firstRun.has(process.pid) && runtime.signalsTo(process.pid).length > 0)
        runtime.exit(process.pid, { signal: 'SIGTERM' });
    }
    runtime.advance(0);
  };
  const out = (): number => states().filter((state) => state !== 'online').length;

  const restarted = pool.restart();
  assert.deepEqual(states(), [
    ...Array(LIMIT).fill('stopping'),
    ...Array(10 - LIMIT).fill('online'),
  ]);
  obeyStops();
  const outcomes = await restarted;
  assert.equal(outcomes.length, LIMIT, 'the spawn results of the restarts run at once');
  assert.ok(outcomes.every((outcome) => outcome.ok));
  assert.deepEqual(states().slice(0, LIMIT), Array(LIMIT).fill('starting'));
  assert.equal(out(), LIMIT, 'stopped and started again, the first ones still hold their places');
  let maxOut = out();
  while (states().some((_, index) => pool.instance(index)?.snapshot().stats.restarts === 0)) {
    for (const instance of pool.instances) instance.markReady();
    runtime.advance(0);
    maxOut = Math.max(maxOut, out());
    obeyStops();
    maxOut = Math.max(maxOut, out());
  }
  for (const instance of pool.instances) instance.markReady();
  assert.deepEqual(states(), Array(10).fill('online'));
  assert.ok(maxOut <= LIMIT, `never more than ${LIMIT} out at once (was ${maxOut})`);
  assert.deepEqual(
    pool.snapshot().instances.map((instance) => instance.stats.restarts),
    Array(10).fill(1),
    'each instance restarted once, counted as a restart',
  );
  assert.equal(runtime.spawns.length, 20);
});

test('a restart of a pool within the limit restarts every instance at once, as before', async () => {
  const { runtime, pool, states } = makePacedPool({ instances: LIMIT, port: 3000 });
  await pool.start();
  for (const instance of pool.instances) instance.markReady();
  const restarted = pool.restart();
  assert.deepEqual(states(), Array(LIMIT).fill('stopping'));
  for (const process of runtime.spawns.slice(0, LIMIT))
    runtime.exit(process.pid, { signal: 'SIGTERM' });
  runtime.advance(0);
  assert.equal((await restarted).length, LIMIT);
  assert.deepEqual(states(), Array(LIMIT).fill('starting'));
});
