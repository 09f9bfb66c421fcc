import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramSpecInput } from '../../src/config/program-spec.js';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { ProgramCore } from '../../src/core/program-core.js';
import type { PersistedProgram } from '../../src/store/persisted-state.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

/**
 * A core on the fake runtime whose processes exit as soon as they are asked to stop, and the
 * events that matter for the start order, one short line each.
 */
function makeCore() {
  const runtime = new FakeRuntime();
  const bus = new EventBus({ now: () => runtime.now() });
  const events: TendEvent[] = [];
  bus.subscribe((event) => {
    events.push(event);
    // A process asked to stop exits at once (after the supervisor has finished its change).
    if (event.kind === 'instance.state' && event.state === 'stopping' && event.pid !== null) {
      const { pid } = event;
      queueMicrotask(() => runtime.exit(pid, { signal: 'SIGTERM' }));
    }
  });
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: '/nonexistent',
    onProblem: () => {},
  });
  /** The lines since the last call, once the core has reacted to the events so far. */
  const take = async (): Promise<string[]> => {
    // The core looks at waiting programs in a microtask after a burst of events.
    await new Promise((resolve) => setImmediate(resolve));
    return events.splice(0).flatMap(describe);
  };
  const pidOf = (name: string, index = 0): number => {
    const pid = core.get(name).pool.instance(index)?.pid;
    if (pid == null) throw new Error(`${name}:${index} has no process`);
    return pid;
  };
  return { runtime, bus, core, take, pidOf };
}

function describe(event: TendEvent): string[] {
  switch (event.kind) {
    case 'program.waiting':
      return [`${event.program} ${event.reason}${event.isStuck ? ' [stuck]' : ''}`];
    case 'program.unblocked':
      return [`${event.program} unblocked (${event.cause})`];
    case 'instance.spawned':
      return [`${event.program}:${event.instance} spawned`];
    case 'instance.state':
      return event.state === 'online' || event.state === 'stopping'
        ? [`${event.program}:${event.instance} ${event.state}`]
        : [];
    case 'program.removed':
      return [`${event.program} removed`];
    default:
      return [];
  }
}

/** A program that is ready only once the test says so (a port, so a readiness check). */
function slowSpec(name: string, overrides: Partial<ProgramSpecInput> = {}) {
  return makeSpec({ name, port: 5000 + name.length, ...overrides });
}

/** A program that is online as soon as it is spawned. */
function quickSpec(name: string, dependsOn: string[] = []) {
  return makeSpec({ name, dependsOn });
}

test('a program after a starting dependency waits, saying why, and spawns on the event that makes it online', async () => {
  const { core, take, pidOf } = makeCore();
  await core.add(slowSpec('db'));
  await core.add(quickSpec('api', ['db']));
  assert.deepEqual(await take(), ['db:0 spawned', 'api waiting for db (starting)']);
  assert.deepEqual(core.get('api').waiting, {
    dependencies: ['db'],
    reason: 'waiting for db (starting)',
    isStuck: false,
  });
  assert.equal(core.get('api').desired, 'running');
  core.markReady('db', 0, pidOf('db'));
  assert.deepEqual(await take(), [
    'db:0 online',
    'api unblocked (dependencies-ready)',
    'api:0 spawned',
    'api:0 online',
  ]);
  assert.equal(core.get('api').waiting, null);
});

test('a dependency that is ready already: the program starts at once, without waiting', async () => {
  const { core, take } = makeCore();
  await core.add(quickSpec('db'));
  await core.add(quickSpec('api', ['db']));
  assert.deepEqual(await take(), ['db:0 spawned', 'db:0 online', 'api:0 spawned', 'api:0 online']);
});

test('a chain waits link by link: the reason says what the dependency itself waits for', async () => {
  const { core, take, pidOf } = makeCore();
  await core.add(slowSpec('db'));
  await core.add(slowSpec('api', { dependsOn: ['db'] }));
  await core.add(quickSpec('web', ['api']));
  assert.deepEqual(await take(), [
    'db:0 spawned',
    'api waiting for db (starting)',
    'web waiting for api (waiting for db)',
  ]);
  core.markReady('db', 0, pidOf('db'));
  assert.deepEqual(await take(), [
    'db:0 online',
    'api unblocked (dependencies-ready)',
    'api:0 spawned',
    'web waiting for api (starting)',
  ]);
  core.markReady('api', 0, pidOf('api'));
  assert.deepEqual(await take(), [
    'api:0 online',
    'web unblocked (dependencies-ready)',
    'web:0 spawned',
    'web:0 online',
  ]);
});

test('a pool is ready when every current instance is online; the reason counts them', async () => {
  const { core, take, pidOf } = makeCore();
  await core.add(slowSpec('db', { instances: 2 }));
  await core.add(quickSpec('api', ['db']));
  assert.deepEqual(await take(), [
    'db:0 spawned',
    'db:1 spawned',
    'api waiting for db (starting, 0 of 2 online)',
  ]);
  core.markReady('db', 1, pidOf('db', 1));
  assert.deepEqual(await take(), ['db:1 online', 'api waiting for db (starting, 1 of 2 online)']);
  core.markReady('db', 0, pidOf('db', 0));
  assert.deepEqual(await take(), [
    'db:0 online',
    'api unblocked (dependencies-ready)',
    'api:0 spawned',
    'api:0 online',
  ]);
});

test('start all follows the order; stop all goes in reverse, each wave once the one before has exited', async () => {
  const { core, take, pidOf } = makeCore();
  await core.add(slowSpec('db'));
  core.markReady('db', 0, pidOf('db'));
  await core.add(quickSpec('api', ['db']));
  await core.add(quickSpec('web', ['api']));
  await core.add(quickSpec('cache'));
  await take();
  await core.stop('all');
  assert.deepEqual(await take(), [
    'web:0 stopping',
    'api:0 stopping',
    'cache:0 stopping',
    'db:0 stopping',
  ]);
  const started = await core.start('all');
  assert.deepEqual(
    started.map((program) => program.name),
    ['cache', 'db', 'api', 'web'],
  );
  assert.deepEqual(await take(), [
    'cache:0 spawned',
    'cache:0 online',
    'db:0 spawned',
    'api waiting for db (starting)',
    'web waiting for api (waiting for db)',
  ]);
  core.markReady('db', 0, pidOf('db'));
  assert.deepEqual(await take(), [
    'db:0 online',
    'api unblocked (dependencies-ready)',
    'api:0 spawned',
    'api:0 online',
    'web unblocked (dependencies-ready)',
    'web:0 spawned',
    'web:0 online',
  ]);
});

test('starting a program whose dependency is stopped starts the dependency first', async () => {
  const { core, take, pidOf } = makeCore();
  await core.add(slowSpec('db'));
  core.markReady('db', 0, pidOf('db'));
  await core.add(quickSpec('api', ['db']));
  await core.stop('all');
  await take();
  const started = await core.start('api');
  assert.deepEqual(
    started.map((program) => program.name),
    ['db', 'api'],
  );
  assert.deepEqual(await take(), ['db:0 spawned', 'api waiting for db (starting)']);
  assert.equal(core.get('db').desired, 'running');
  core.markReady('db', 0, pidOf('db'));
  assert.deepEqual((await take()).slice(-2), ['api:0 spawned', 'api:0 online']);
});

test('a new program after a stopped dependency starts it too', async () => {
  const { core, take } = makeCore();
  await core.add(quickSpec('db'));
  await core.stop('db');
  await take();
  await core.add(quickSpec('api', ['db']));
  assert.deepEqual(await take(), ['db:0 spawned', 'db:0 online', 'api:0 spawned', 'api:0 online']);
});

test('an unknown dependency is refused at add, naming it; nothing is added or spawned', async () => {
  const { core, runtime, take } = makeCore();
  await assert.rejects(core.add(quickSpec('api', ['db', 'cache'])), {
    code: 'TEND_ERR_DEPENDENCY_UNKNOWN',
    message: /`api` depends on `db`, `cache`, which are not managed/,
  });
  assert.equal(core.has('api'), false);
  assert.equal(runtime.spawns.length, 0);
  assert.deepEqual(await take(), []);
});

test('a cycle is refused at add with the cycle in the message; a program after itself too', async () => {
  const { core, runtime, take } = makeCore();
  await assert.rejects(core.add(quickSpec('api', ['api'])), {
    code: 'TEND_ERR_DEPENDENCY_CYCLE',
    message: /api → api/,
  });
  await core.add(quickSpec('db'));
  await core.add(quickSpec('api', ['db']));
  // Only a forced delete leaves a program depending on one that is gone: the way to a cycle.
  await core.remove('db', { force: true });
  const spawned = runtime.spawns.length;
  await take();
  await assert.rejects(core.add(quickSpec('db', ['api'])), {
    code: 'TEND_ERR_DEPENDENCY_CYCLE',
    message: /`db` cannot start after `api`: that makes a cycle, db → api → db/,
  });
  assert.equal(core.has('db'), false);
  assert.equal(runtime.spawns.length, spawned);
  assert.deepEqual(await take(), []);
});

test('a dependency that goes errored leaves its dependents waiting, stuck, with the reason', async () => {
  const { core, runtime, take, pidOf } = makeCore();
  await core.add(slowSpec('db', { maxRestarts: 1, minUptimeMs: 1000, backoffInitialMs: 100 }));
  await core.add(quickSpec('api', ['db']));
  await take();
  runtime.exit(pidOf('db'), { code: 1 });
  runtime.advance(100);
  runtime.exit(pidOf('db'), { code: 1 });
  const lines = await take();
  const last = lines.at(-1) ?? '';
  assert.match(last, /^api waiting for db: db is errored \(.+\) \[stuck\]$/, lines.join('\n'));
  assert.equal(core.get('api').waiting?.isStuck, true);
  // Starting the dependent starts its errored dependency afresh: no longer stuck.
  await core.start('api');
  assert.deepEqual((await take()).slice(-2), ['db:0 spawned', 'api waiting for db (starting)']);
  assert.equal(core.get('api').waiting?.isStuck, false);
});

test('stopping a waiting program ends its wait; it does not start when the dependency is ready', async () => {
  const { core, take, pidOf } = makeCore();
  await core.add(slowSpec('db'));
  await core.add(quickSpec('api', ['db']));
  await take();
  await core.stop('api');
  assert.deepEqual(await take(), ['api unblocked (stopped)']);
  assert.equal(core.get('api').desired, 'stopped');
  core.markReady('db', 0, pidOf('db'));
  assert.deepEqual(await take(), ['db:0 online']);
});

test('deleting a program others depend on is refused, naming them; deleting them together is not', async () => {
  const { core, take } = makeCore();
  await core.add(quickSpec('db'));
  await core.add(quickSpec('api', ['db']));
  await core.add(quickSpec('worker', ['db']));
  await take();
  await assert.rejects(core.remove('db'), {
    code: 'TEND_ERR_DEPENDENCY_NEEDED',
    message: /`db` is needed by `api`, `worker`/,
  });
  assert.deepEqual(await take(), [], 'nothing was stopped');
  assert.deepEqual(await core.remove(['db', 'api', 'worker']), ['db', 'api', 'worker']);
  assert.deepEqual(await take(), [
    'api:0 stopping',
    'worker:0 stopping',
    'api removed',
    'worker removed',
    'db:0 stopping',
    'db removed',
  ]);
});

test('with force, the dependents stay and wait for a new program of that name', async () => {
  const { core, take } = makeCore();
  await core.add(quickSpec('db'));
  await core.add(quickSpec('api', ['db']));
  await core.remove('db', { force: true });
  await core.restart('api');
  assert.ok((await take()).includes('api waiting for db (not managed) [stuck]'));
  await core.add(quickSpec('db'));
  assert.deepEqual(await take(), [
    // Seen between the new program's creation and its start.
    'api waiting for db (stopped)',
    'db:0 spawned',
    'db:0 online',
    'api unblocked (dependencies-ready)',
    'api:0 spawned',
    'api:0 online',
  ]);
});

test('a daemon that starts up starts in dependency order whatever the order of the state file', async () => {
  const { core, take, pidOf } = makeCore();
  const persisted = (spec: ReturnType<typeof makeSpec>): PersistedProgram => ({
    spec,
    desired: 'running',
    instances: [],
    proxyProcess: null,
    tasks: [],
    leases: [],
  });
  await core.restore([
    persisted(quickSpec('web', ['api'])),
    persisted(quickSpec('api', ['db'])),
    persisted(slowSpec('db')),
  ]);
  assert.deepEqual(await take(), [
    'db:0 spawned',
    'api waiting for db (starting)',
    'web waiting for api (waiting for db)',
  ]);
  core.markReady('db', 0, pidOf('db'));
  assert.deepEqual(
    (await take()).filter((line) => line.endsWith('spawned')),
    ['api:0 spawned', 'web:0 spawned'],
  );
});

test('a daemon that shuts down stops dependents first', async () => {
  const { core, take } = makeCore();
  await core.add(quickSpec('db'));
  await core.add(quickSpec('api', ['db']));
  await core.add(quickSpec('web', ['api']));
  await take();
  await core.close();
  assert.deepEqual(await take(), ['web:0 stopping', 'api:0 stopping', 'db:0 stopping']);
});

test('scaling a waiting program adds instances that wait too', async () => {
  const { core, take } = makeCore();
  await core.add(slowSpec('db'));
  await core.add(makeSpec({ name: 'api', dependsOn: ['db'], max: 3 }));
  await take();
  const api = core.get('api');
  await core.scale('api', { to: 2 });
  assert.deepEqual(await take(), []);
  assert.deepEqual(
    api.pool.instances.map((instance) => instance.state),
    ['stopped', 'stopped'],
  );
  assert.notEqual(api.waiting, null);
});
