import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import { InstanceSupervisor } from '../../src/supervisor/instance-supervisor.js';
import type { InstanceFact } from '../../src/supervisor/types.js';
import { FakeRuntime } from './fake-runtime.js';
import { makeSpec, pidOf } from './harness.js';

const ENDED = 'task ended (room-42, owner-left)';

/** A task program's fields: a base port, a proxy, and tasks. */
const TASK_PROGRAM: Partial<ProgramSpecInput> = {
  readiness: 'none',
  port: 7000,
  max: 4,
  proxy: { port: 7777 },
  tasks: {},
};

/** An instance supervisor on a fake runtime, with the facts it told. */
function makeWatched(overrides: Partial<ProgramSpecInput> = {}) {
  const runtime = new FakeRuntime();
  const facts: InstanceFact[] = [];
  const instance = new InstanceSupervisor({
    spec: makeSpec(overrides),
    index: 0,
    runtime,
    onChange: () => {},
    onFact: (fact) => facts.push(fact),
  });
  return { runtime, instance, facts };
}

// Regression: ending a task restarted its process, which `tend ls` counted in RESTARTS. Its
// slot's fresh process is the task service's paced start (test/daemon/task-service.test.ts).
test('a stop with a reason (a task that ended) records the reason with the exit and is not a restart', async () => {
  const { runtime, instance, facts } = makeWatched({ stopSignal: 'SIGINT' });
  await instance.start();
  const pid = pidOf(instance);
  runtime.advance(5_000);
  const stopped = instance.stop(ENDED);
  assert.equal(instance.state, 'stopping');
  assert.deepEqual(runtime.signalsTo(pid), ['SIGINT/group']);
  runtime.exit(pid, { signal: 'SIGINT' });
  await stopped;
  assert.equal(instance.state, 'stopped');
  const { stats } = instance.snapshot();
  assert.equal(stats.restarts, 0, 'not a restart');
  assert.equal(stats.failureRestarts, 0);
  assert.deepEqual(stats.exits, [
    {
      at: runtime.now(),
      code: null,
      signal: 'SIGINT',
      uptimeMs: 5_000,
      isFailure: false,
      reason: ENDED,
    },
  ]);
  assert.equal(
    facts.some((fact) => fact.type === 'restarted'),
    false,
    'no restarted fact (no instance.restarted event, no restart metric)',
  );
  const exited = facts.find((fact) => fact.type === 'exited');
  assert.equal(exited?.type === 'exited' && exited.reason, ENDED);
});

test('a process that ignores a stop with a reason is killed after the stop timeout, and the exit says both', async () => {
  const { runtime, instance } = makeWatched({ stopTimeoutMs: 500 });
  await instance.start();
  const pid = pidOf(instance);
  const stopped = instance.stop(ENDED);
  runtime.advance(500);
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group', 'SIGKILL/group', 'SIGKILL/process']);
  runtime.exit(pid, { signal: 'SIGKILL' });
  await stopped;
  assert.equal(
    instance.snapshot().stats.exits.at(-1)?.reason,
    `${ENDED}; did not stop within 500ms of SIGTERM; killed with SIGKILL`,
  );
});

test('a plain stop after a stop with a reason is recorded as a plain stop again', async () => {
  const { runtime, instance } = makeWatched();
  await instance.start();
  const first = instance.stop(ENDED);
  runtime.exit(pidOf(instance), { signal: 'SIGTERM' });
  await first;
  await instance.start();
  const second = instance.stop();
  runtime.exit(pidOf(instance), { signal: 'SIGTERM' });
  await second;
  const { exits } = instance.snapshot().stats;
  assert.equal(exits.length, 2);
  assert.equal(exits[0]?.reason, ENDED);
  assert.equal(exits[1]?.reason, undefined);
});

test('a task program’s process that ran and exits 0 gets a fresh one, not counted; a crash is counted', async () => {
  const { runtime, instance, facts } = makeWatched({ ...TASK_PROGRAM, minUptimeMs: 1_000 });
  await instance.start();
  runtime.advance(2_000);
  runtime.exit(pidOf(instance), { code: 0 });
  assert.equal(instance.state, 'online', 'a fresh process took the slot');
  assert.equal(instance.snapshot().stats.restarts, 0);
  assert.equal(
    facts.some((fact) => fact.type === 'restarted'),
    false,
  );
  runtime.advance(2_000);
  runtime.exit(pidOf(instance), { code: 3 });
  const { stats } = instance.snapshot();
  assert.equal(stats.restarts, 1, 'a crash is a restart');
  assert.equal(stats.failureRestarts, 1);
});

test('a plain program’s process that exits 0 under restart: always is still a restart', async () => {
  const { runtime, instance } = makeWatched({ minUptimeMs: 1_000 });
  await instance.start();
  runtime.advance(2_000);
  runtime.exit(pidOf(instance), { code: 0 });
  assert.equal(instance.snapshot().stats.restarts, 1);
});
