import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { ManagedProgram } from '../../src/core/managed-program.js';
import { ProgramCore } from '../../src/core/program-core.js';
import { reloadPlan } from '../../src/core/reload-plan.js';
import { RollingReload } from '../../src/core/rolling-reload.js';
import type { SignalName } from '../../src/process/signals.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

/**
 * A fake world for reloads: processes end on their stop signal, and a new process becomes ready
 * (its port answers) on the next turn, unless its environment says BROKEN=1: then it exits with
 * code 1 at start. Every step lands in `steps`, in order, so tests assert the sequence.
 */
class ReloadWorld extends FakeRuntime {
  readonly steps: string[] = [];
  /** Set once the program exists: marks a process ready. */
  markReady: (index: number, pid: number) => void = () => {};
  #isManualReadiness = false;
  readonly #held: Array<() => void> = [];

  /** Holds readiness until `releaseReady` (to look at the state in between). */
  holdReadiness(): void {
    this.#isManualReadiness = true;
  }

  releaseReady(): void {
    for (const release of this.#held.splice(0)) release();
  }

  override signal(pid: number, signal: SignalName, target: 'process' | 'group'): void {
    super.signal(pid, signal, target);
    this.steps.push(`stop ${pid}`);
    queueMicrotask(() => {
      if (this.spawns.find((spawn) => spawn.pid === pid)?.isAlive) this.exit(pid, { signal });
    });
  }

  override spawn(...args: Parameters<FakeRuntime['spawn']>) {
    const outcome = super.spawn(...args);
    if (!outcome.ok) return outcome;
    const { request } = this.lastSpawn;
    const index = request.instance;
    this.steps.push(`spawn ${index} ${outcome.pid}`);
    const isBroken = request.spec.env.BROKEN === '1';
    const become = () => {
      if (isBroken) this.exit(outcome.pid, { code: 1 });
      else {
        this.steps.push(`ready ${index} ${outcome.pid}`);
        this.markReady(index, outcome.pid);
      }
    };
    queueMicrotask(() => {
      if (this.#isManualReadiness && !isBroken) this.#held.push(become);
      else become();
    });
    return outcome;
  }
}

function makeCore(overrides: Partial<ProgramSpecInput>) {
  const runtime = new ReloadWorld();
  const bus = new EventBus({ now: () => runtime.now() });
  const events: TendEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: '/nonexistent',
    onProblem: () => {},
  });
  runtime.markReady = (index, pid) => core.markReady('web', index, pid);
  const spec = makeSpec({ port: 3000, ...overrides });
  return { runtime, bus, core, events, spec };
}

async function started(overrides: Partial<ProgramSpecInput>) {
  const world = makeCore(overrides);
  await world.core.add(world.spec);
  await settled();
  world.runtime.steps.length = 0;
  return world;
}

/** Lets every queued microtask and promise continuation run. */
async function settled(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function pidsOf(core: ProgramCore): Array<number | null> {
  return core.get('web').pool.instances.map((instance) => instance.pid);
}

function indexOfStep(steps: string[], step: string): number {
  const index = steps.indexOf(step);
  assert.notEqual(index, -1, `expected step "${step}" in ${JSON.stringify(steps)}`);
  return index;
}

test('a pool at its max replaces one instance at a time: each old process is stopped only after the previous replacement is ready', async () => {
  const { core, runtime } = await started({ instances: 3 });
  const before = pidsOf(core);
  const reload = await core.reload('web', { pacing: {} });
  assert.deepEqual(reload.plan, { surge: 0, unavailable: 1, drainTimeoutMs: 30_000 });
  const outcome = await reload.done;
  assert.deepEqual(outcome, { ok: true, replaced: 3, durationMs: 0 });
  const after = pidsOf(core);
  for (const [index, pid] of after.entries()) assert.notEqual(pid, before[index]);
  const { steps } = runtime;
  for (let index = 1; index < 3; index++) {
    assert.ok(
      indexOfStep(steps, `ready ${index - 1} ${after[index - 1]}`) <
        indexOfStep(steps, `stop ${before[index]}`),
      `instance ${index} is stopped only once instance ${index - 1}'s replacement is ready: ${steps.join(', ')}`,
    );
  }
});

test('with a spare port, a surge instance is ready before any old process stops, and goes at the end', async () => {
  const { core, runtime, events } = await started({ instances: 2, max: 3 });
  const before = pidsOf(core);
  const reload = await core.reload('web', { pacing: {} });
  assert.deepEqual(reload.plan, { surge: 1, unavailable: 0, drainTimeoutMs: 30_000 });
  assert.equal((await reload.done).ok, true);
  const { steps } = runtime;
  const surgeSpawn = steps.find((step) => step.startsWith('spawn 2 '));
  assert.ok(surgeSpawn, `a surge instance 2 was spawned: ${steps.join(', ')}`);
  const surgePid = Number(surgeSpawn.split(' ')[2]);
  const firstStop = steps.findIndex((step) => step.startsWith('stop '));
  assert.ok(indexOfStep(steps, `ready 2 ${surgePid}`) < firstStop);
  assert.ok(indexOfStep(steps, `stop ${surgePid}`) > indexOfStep(steps, `stop ${before[1]}`));
  assert.equal(core.get('web').pool.instances.length, 2, 'the surge instance is gone');
  assert.equal(core.get('web').spec.instances, 2);
  const replaced = events.filter((event) => event.kind === 'instance.replaced');
  assert.deepEqual(
    replaced.map((event) => event.kind === 'instance.replaced' && event.previousPid),
    [null, before[0], before[1]],
  );
});

test('never more than maxUnavailable instances are down at once, and a larger maxUnavailable goes faster', async () => {
  const { core, runtime } = await started({ instances: 4 });
  const reload = await core.reload('web', { pacing: { maxUnavailable: 2 } });
  assert.equal((await reload.done).ok, true);
  // The stop signal goes to a process and its group: count each stopped process once.
  const stopped = new Set<string>();
  let down = 0;
  let mostDown = 0;
  for (const step of runtime.steps) {
    if (step.startsWith('stop ') && !stopped.has(step)) {
      stopped.add(step);
      down++;
    }
    if (step.startsWith('ready ')) down--;
    mostDown = Math.max(mostDown, down);
  }
  assert.equal(mostDown, 2, runtime.steps.join(', '));
});

test('behind a proxy each old instance is drained before it is stopped, and put back once replaced', async () => {
  const runtime = new ReloadWorld();
  const bus = new EventBus({ now: () => runtime.now() });
  const program = new ManagedProgram({
    spec: makeSpec({ port: 3000, instances: 2 }),
    desired: 'running',
    stats: [],
    runtime,
    runDir: '/nonexistent',
    bus,
    onProblem: () => {},
  });
  runtime.markReady = (index, pid) => program.pool.instance(index)?.markReady(pid);
  await program.start();
  await settled();
  const before = program.pool.instances.map((instance) => instance.pid);
  runtime.steps.length = 0;
  const reload = new RollingReload({
    pool: program.pool,
    bus,
    runtime,
    plan: reloadPlan(program.spec, {}),
    drainer: {
      drain: async (instance) => {
        runtime.steps.push(`drain ${instance}`);
      },
      endDrain: (instance) => runtime.steps.push(`end-drain ${instance}`),
    },
    prepareSurge: async () => {},
    restoreDefinition: async () => {},
    changed: [],
  });
  assert.equal((await reload.run(0, () => 0)).ok, true);
  const { steps } = runtime;
  const after = program.pool.instances.map((instance) => instance.pid);
  for (const index of [0, 1]) {
    assert.ok(indexOfStep(steps, `drain ${index}`) < indexOfStep(steps, `stop ${before[index]}`));
    assert.ok(
      indexOfStep(steps, `spawn ${index} ${after[index]}`) <
        indexOfStep(steps, `end-drain ${index}`),
    );
  }
  assert.ok(indexOfStep(steps, `end-drain 0`) < indexOfStep(steps, 'drain 1'));
});

test('--env reaches the new processes through the definition, and the event says which fields changed', async () => {
  const { core, spec, runtime, events } = await started({ instances: 2, env: { A: '1' } });
  const reload = await core.reload('web', {
    spec: { ...spec, env: { A: '2' } },
    pacing: {},
  });
  assert.deepEqual(reload.changed, ['env']);
  assert.equal((await reload.done).ok, true);
  const current = new Set(pidsOf(core));
  const envs = runtime.spawns
    .filter((spawn) => current.has(spawn.pid))
    .map((spawn) => spawn.request.spec.env.A);
  assert.deepEqual(envs, ['2', '2']);
  const begun = events.find((event) => event.kind === 'program.reload-started');
  assert.deepEqual(begun?.kind === 'program.reload-started' && begun.changed, ['env']);
  assert.ok(events.some((event) => event.kind === 'program.reload-finished'));
});

test('a replacement that exits at start stops the reload: the others keep their process, the old definition comes back and the slot serves with it', async () => {
  const { core, spec, events } = await started({ instances: 3, env: { BROKEN: '0' } });
  const before = pidsOf(core);
  const reload = await core.reload('web', {
    spec: { ...spec, env: { BROKEN: '1' } },
    pacing: {},
  });
  const outcome = await reload.done;
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok);
  assert.equal(outcome.instance, 0);
  assert.match(
    outcome.reason,
    /^web\[0\]'s new process \(pid \d+\) exited with code 1 before it was ready/,
  );
  assert.equal(outcome.restored, true);
  assert.deepEqual(core.get('web').spec.env, { BROKEN: '0' }, 'the old definition is back');
  const after = pidsOf(core);
  assert.deepEqual(after.slice(1), before.slice(1), 'instances 1 and 2 were never touched');
  assert.equal(core.get('web').pool.instance(0)?.state, 'online', 'slot 0 serves again');
  const failed = events.find((event) => event.kind === 'program.reload-failed');
  assert.ok(failed?.kind === 'program.reload-failed' && failed.restored);
});

test('a surge instance that fails leaves every old process alone', async () => {
  const { core, spec } = await started({ instances: 2, max: 3 });
  const before = pidsOf(core);
  const reload = await core.reload('web', { spec: { ...spec, env: { BROKEN: '1' } }, pacing: {} });
  const outcome = await reload.done;
  assert.equal(outcome.ok, false);
  assert.deepEqual(pidsOf(core), before);
  assert.equal(core.get('web').pool.instances.length, 2);
});

test('a second reload, a scale or an update while one runs is refused with 409 and changes nothing', async () => {
  const { core, runtime, spec } = await started({ instances: 2 });
  runtime.holdReadiness();
  const reload = await core.reload('web', { pacing: {} });
  await settled();
  await assert.rejects(core.reload('web', { pacing: {} }), { code: 'TEND_ERR_RELOAD_IN_PROGRESS' });
  await assert.rejects(core.scale('web', { to: 1 }), { code: 'TEND_ERR_RELOAD_IN_PROGRESS' });
  await assert.rejects(core.update({ ...spec, env: { X: '1' } }), {
    code: 'TEND_ERR_RELOAD_IN_PROGRESS',
  });
  for (let round = 0; round < 4; round++) {
    runtime.releaseReady();
    await settled();
  }
  assert.equal((await reload.done).ok, true);
  const again = await core.reload('web', { pacing: {} });
  runtime.releaseReady();
  for (let round = 0; round < 4; round++) {
    runtime.releaseReady();
    await settled();
  }
  assert.equal((await again.done).ok, true, 'a reload is allowed again once the first ended');
});

test('a replacement that never becomes ready fails the reload after its start and stop timeouts', async () => {
  const { core, runtime } = await started({ instances: 2, startTimeoutMs: 5_000 });
  runtime.holdReadiness();
  const reload = await core.reload('web', { pacing: {} });
  await settled();
  for (let round = 0; round < 3; round++) {
    runtime.advance(10_000);
    await settled();
  }
  const outcome = await reload.done;
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok);
  assert.match(
    outcome.reason,
    /web\[0\]'s new process \(pid \d+\) .*before it was ready \(not ready within 5s \(port 3000 never answered\)/,
  );
});

test('the plan: the surge is capped by the spare ports, and a plan with no step is refused', () => {
  assert.deepEqual(reloadPlan(makeSpec({ instances: 1, max: 4 }), { maxSurge: 3 }), {
    surge: 3,
    unavailable: 0,
    drainTimeoutMs: 30_000,
  });
  assert.deepEqual(reloadPlan(makeSpec({ instances: 3 }), {}).surge, 0);
  assert.throws(() => reloadPlan(makeSpec({ instances: 3 }), { maxUnavailable: 0 }), {
    code: 'TEND_ERR_RELOAD_NO_ROOM',
    message: /no spare port for a surge instance \(3 instances, max 3\)/,
  });
  assert.throws(
    () => reloadPlan(makeSpec({ instances: 1, max: 2 }), { maxSurge: 0, maxUnavailable: 0 }),
    { code: 'TEND_ERR_RELOAD_NO_ROOM', message: /--max-surge 0 and --max-unavailable 0/ },
  );
});

test('a stopped program is not reloaded', async () => {
  const { core } = await started({ instances: 1 });
  await core.stop('web');
  await assert.rejects(core.reload('web', { pacing: {} }), {
    code: 'TEND_ERR_PROGRAM_NOT_RUNNING',
  });
});

test('a stop during a reload ends it: the reload fails, nothing is restored or left running', async () => {
  const { core, runtime, events } = await started({ instances: 2, max: 3 });
  runtime.holdReadiness();
  const reload = await core.reload('web', { pacing: {} });
  await settled();
  await core.stop('web');
  runtime.releaseReady();
  await settled();
  const outcome = await reload.done;
  assert.equal(outcome.ok, false);
  assert.ok(!outcome.ok);
  assert.equal(outcome.restored, false);
  assert.deepEqual(pidsOf(core), [null, null], 'every process stopped, the surge instance gone');
  assert.ok(events.some((event) => event.kind === 'program.reload-failed'));
  assert.ok(runtime.spawns.every((spawn) => !spawn.isAlive));
});
