import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import { instanceEnv } from '../../src/process/instance-env.js';
import { ProgramSupervisor } from '../../src/supervisor/program-supervisor.js';
import type { InstanceSnapshot, InstanceStats } from '../../src/supervisor/types.js';
import { FakeRuntime } from './fake-runtime.js';
import { makeSpec } from './harness.js';

function makeProgram(
  overrides: Partial<ProgramSpecInput> = {},
  stats?: Array<InstanceStats | undefined>,
): { runtime: FakeRuntime; program: ProgramSupervisor; changes: InstanceSnapshot[] } {
  const runtime = new FakeRuntime();
  const changes: InstanceSnapshot[] = [];
  const program = new ProgramSupervisor({
    spec: makeSpec(overrides),
    runtime,
    onChange: (snapshot) => changes.push(snapshot),
    ...(stats ? { stats } : {}),
  });
  return { runtime, program, changes };
}

function livePids(runtime: FakeRuntime): number[] {
  return runtime.spawns.filter((process) => process.isAlive).map((process) => process.pid);
}

test('start spawns every instance with its own TEND_INSTANCE and PORT', async () => {
  const { runtime, program } = makeProgram({ instances: 3, port: 3000 });
  assert.equal(program.desired, 'stopped');
  const outcomes = await program.start();
  assert.equal(program.desired, 'running');
  assert.deepEqual(
    outcomes,
    runtime.spawns.map((process) => ({ ok: true, pid: process.pid })),
  );
  const envs = runtime.spawns.map(({ request }) => instanceEnv(request.spec, request.instance));
  assert.deepEqual(
    envs.map((env) => [env.TEND_INSTANCE, env.PORT]),
    [
      ['0', '3000'],
      ['1', '3001'],
      ['2', '3002'],
    ],
  );
  // With a port, an instance is `starting` until its readiness check passes (readiness: tcp).
  const states = () =>
    program.snapshot().instances.map((instance) => [instance.instance, instance.state]);
  assert.deepEqual(states(), [
    [0, 'starting'],
    [1, 'starting'],
    [2, 'starting'],
  ]);
  for (const instance of program.instances) instance.markReady(instance.pid ?? undefined);
  assert.deepEqual(states(), [
    [0, 'online'],
    [1, 'online'],
    [2, 'online'],
  ]);
});

test('without a port, or with readiness none, an instance is online as soon as it is spawned', async () => {
  for (const overrides of [
    { instances: 2 },
    { instances: 2, port: 3000, readiness: 'none' as const },
  ]) {
    const { program } = makeProgram(overrides);
    await program.start();
    assert.deepEqual(
      program.snapshot().instances.map((instance) => instance.state),
      ['online', 'online'],
    );
  }
});

test('a failed spawn is reported for its instance only', async () => {
  const { runtime, program } = makeProgram({ instances: 2 });
  runtime.failNextSpawn();
  const outcomes = await program.start();
  assert.deepEqual(
    outcomes.map((outcome) => outcome.ok),
    [false, true],
  );
  assert.equal(program.instance(0)?.state, 'errored');
  assert.equal(program.instance(1)?.state, 'online');
});

test('stop stops every instance and resolves once all have exited', async () => {
  const { runtime, program } = makeProgram({ instances: 3 });
  await program.start();
  const pids = livePids(runtime);
  let isStopped = false;
  const stopping = program.stop().then(() => {
    isStopped = true;
  });
  assert.equal(program.desired, 'stopped');
  for (const pid of pids) assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group']);
  runtime.exit(pids[0] ?? -1, { code: 0 });
  runtime.exit(pids[1] ?? -1, { code: 0 });
  await Promise.resolve();
  assert.equal(isStopped, false);
  runtime.exit(pids[2] ?? -1, { code: 0 });
  await stopping;
  assert.deepEqual(
    program.snapshot().instances.map((instance) => instance.state),
    ['stopped', 'stopped', 'stopped'],
  );
});

test('restart gives every instance a new process on the same index', async () => {
  const { runtime, program } = makeProgram({ instances: 2, port: 4000 });
  await program.start();
  const oldPids = livePids(runtime);
  const restarting = program.restart();
  for (const pid of oldPids) runtime.exit(pid, { signal: 'SIGTERM' });
  const outcomes = await restarting;
  assert.equal(
    outcomes.every((outcome) => outcome.ok),
    true,
  );
  const respawned = runtime.spawns.slice(2).map((process) => process.request.instance);
  assert.deepEqual(respawned, [0, 1]);
  assert.deepEqual(
    program.snapshot().instances.map((instance) => instance.stats.restarts),
    [1, 1],
  );
});

test('a crashed instance is restarted alone and keeps its port', async () => {
  const { runtime, program, changes } = makeProgram({ instances: 3, port: 5000 });
  await program.start();
  runtime.advance(5000);
  const crashedPid = program.instance(1)?.pid ?? -1;
  runtime.exit(crashedPid, { signal: 'SIGILL' });
  assert.equal(runtime.spawns.length, 4);
  assert.equal(
    instanceEnv(runtime.lastSpawn.request.spec, runtime.lastSpawn.request.instance).PORT,
    '5001',
  );
  assert.equal(changes.at(-1)?.instance, 1);
  assert.equal(program.instance(0)?.snapshot().stats.restarts, 0);
});

test('restored statistics go to the instance with the same index', () => {
  const stats: InstanceStats = {
    restarts: 4,
    failureRestarts: 1,
    runs: 5,
    totalRunMs: 9,
    exits: [],
  };
  const { program } = makeProgram({ instances: 2 }, [undefined, stats]);
  assert.equal(program.instance(0)?.snapshot().stats.restarts, 0);
  assert.equal(program.instance(1)?.snapshot().stats.restarts, 4);
});

test('fewer instances in a new spec stops and removes the highest indexes', async () => {
  const { runtime, program } = makeProgram({ instances: 3 });
  await program.start();
  const [, pid1, pid2] = livePids(runtime);
  const updating = program.updateSpec(makeSpec({ instances: 1 }));
  assert.deepEqual(
    program.instances.map((instance) => instance.index),
    [0],
  );
  runtime.exit(pid1 ?? -1, { code: 0 });
  runtime.exit(pid2 ?? -1, { code: 0 });
  assert.deepEqual(await updating, []);
  assert.equal(program.instance(1), undefined);
});

test('more instances in a new spec adds them at the next indexes and starts them if the program runs', async () => {
  const { runtime, program } = makeProgram({ instances: 1 });
  await program.start();
  const outcomes = await program.updateSpec(makeSpec({ instances: 3 }));
  assert.equal(outcomes.length, 2);
  assert.deepEqual(
    runtime.spawns.map((process) => process.request.instance),
    [0, 1, 2],
  );
});

test('instances added to a stopped program stay stopped', async () => {
  const { runtime, program } = makeProgram({ instances: 1 });
  await program.updateSpec(makeSpec({ instances: 2 }));
  assert.equal(runtime.spawns.length, 0);
  assert.equal(program.instance(1)?.state, 'stopped');
});

test('the snapshot names the program, its spec, the desired state and each instance', async () => {
  const { program } = makeProgram({ instances: 2 });
  await program.start();
  const snapshot = program.snapshot();
  assert.equal(snapshot.name, 'web');
  assert.equal(snapshot.spec.instances, 2);
  assert.equal(snapshot.desired, 'running');
  assert.deepEqual(
    snapshot.instances.map((instance) => [instance.name, instance.instance]),
    [
      ['web', 0],
      ['web', 1],
    ],
  );
});
