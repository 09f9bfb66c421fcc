import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import { EventBus } from '../../src/core/event-bus.js';
import { ManagedProgram } from '../../src/core/managed-program.js';
import { TendError } from '../../src/errors.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

function makePool(runtime: FakeRuntime, pool: { instances: number; min: number; max: number }) {
  return new ManagedProgram({
    spec: ProgramSpecSchema.parse({ name: 'web', command: 'server', cwd: '/srv', ...pool }),
    desired: 'running',
    stats: [],
    runtime,
    runDir: '/nonexistent',
    bus: new EventBus(),
    onProblem: () => {},
  });
}

function refusal(action: () => unknown): TendError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof TendError);
    return error;
  }
  assert.fail('expected a refusal');
}

test('a scale request resolves to a size within the bounds, or is refused naming the bound', () => {
  const program = makePool(new FakeRuntime(), { instances: 3, min: 2, max: 5 });
  assert.equal(program.targetSize({ to: 5 }), 5);
  assert.equal(program.targetSize({ to: 2 }), 2);
  assert.equal(program.targetSize({ by: 2 }), 5);
  assert.equal(program.targetSize({ by: -1 }), 2);
  assert.equal(program.targetSize({ by: 0 }), 3);

  const tooMany = refusal(() => program.targetSize({ to: 6 }));
  assert.equal(tooMany.code, 'TEND_ERR_SCALE_OUT_OF_BOUNDS');
  assert.equal(tooMany.message, 'cannot scale web to 6: max is 5');
  assert.equal(
    refusal(() => program.targetSize({ by: -2 })).message,
    'cannot scale web to 1: min is 2',
  );
  assert.equal(
    refusal(() => program.targetSize({ to: 0 })).message,
    'cannot scale web to 0: min is 2',
  );
  assert.equal(program.spec.instances, 3, 'a refused request changes nothing');
});

test('growing adds the next indexes; shrinking stops the highest first, gracefully, and keeps the others', async () => {
  const runtime = new FakeRuntime();
  const program = makePool(runtime, { instances: 2, min: 1, max: 4 });
  await program.start();
  const [first, second] = program.pool.snapshot().instances.map((instance) => instance.pid);

  await program.scale(4);
  const grown = program.pool.snapshot().instances;
  assert.deepEqual(
    grown.map((instance) => [instance.instance, instance.state]),
    [0, 1, 2, 3].map((index) => [index, 'online']),
  );
  assert.deepEqual(
    runtime.spawns.map((spawn) => spawn.request.instance),
    [0, 1, 2, 3],
  );
  const third = grown[2]?.pid;
  const fourth = grown[3]?.pid;
  assert.ok(third && fourth);

  const shrinking = program.scale(2);
  assert.deepEqual(runtime.signalsTo(fourth), ['SIGTERM/group']);
  assert.deepEqual(runtime.signalsTo(third), ['SIGTERM/group']);
  runtime.exit(fourth, { signal: 'SIGTERM' });
  runtime.exit(third, { signal: 'SIGTERM' });
  await shrinking;
  assert.deepEqual(
    program.pool.snapshot().instances.map((instance) => instance.pid),
    [first, second],
  );
  assert.equal(program.spec.instances, 2);
  assert.deepEqual(runtime.signalsTo(first as number), []);
});

test('the proxy membership is emitted when it changes: every member first, then what changed with the counts, and not again when nothing did', async () => {
  const runtime = new FakeRuntime();
  const bus = new EventBus();
  const memberships: unknown[] = [];
  bus.subscribe((event) => {
    if (event.kind === 'proxy.membership') {
      const { changed, removed, size, readyCount, drainingCount } = event;
      memberships.push({ changed, removed, size, readyCount, drainingCount });
    }
  });
  const program = new ManagedProgram({
    spec: ProgramSpecSchema.parse({
      name: 'web',
      command: 'server',
      cwd: '/srv',
      instances: 2,
      port: 4000,
      readiness: 'none',
      proxy: { port: 5000 },
    }),
    desired: 'running',
    stats: [],
    runtime,
    runDir: '/nonexistent',
    bus,
    onProblem: () => {},
  });
  // Only the pool: the proxy process is not started, so nothing tries to reach its socket.
  await program.pool.start();
  program.feedProxy();
  program.feedProxy();
  const [, second] = program.pool.snapshot().instances.map((instance) => instance.pid);
  assert.ok(second);
  runtime.advance(10);
  runtime.exit(second, { code: 1 });
  program.feedProxy();
  const member = (instance: number, isReady: boolean, isDraining = false) => ({
    instance,
    port: 4000 + instance,
    isReady,
    isDraining,
  });
  assert.deepEqual(memberships, [
    {
      changed: [member(0, true), member(1, true)],
      removed: [],
      size: 2,
      readyCount: 2,
      drainingCount: 0,
    },
    { changed: [member(1, false)], removed: [], size: 2, readyCount: 1, drainingCount: 0 },
  ]);

  // Draining (for a reload): out of rotation until endDrain; with no proxy connected the wait ends at once.
  memberships.length = 0;
  await program.proxy?.drain(0, 60_000);
  program.proxy?.endDrain(0);
  assert.deepEqual(memberships, [
    { changed: [member(0, false, true)], removed: [], size: 2, readyCount: 0, drainingCount: 1 },
    { changed: [member(0, true)], removed: [], size: 2, readyCount: 1, drainingCount: 0 },
  ]);

  // Shrinking: the instance that left is named, not the whole list again.
  memberships.length = 0;
  await program.scale(1);
  program.feedProxy();
  assert.deepEqual(memberships, [
    { changed: [], removed: [1], size: 1, readyCount: 1, drainingCount: 0 },
  ]);
});
