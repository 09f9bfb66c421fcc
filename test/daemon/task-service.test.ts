import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { type PortGuard, ProgramCore } from '../../src/core/program-core.js';
import { createLeaseService } from '../../src/daemon/lease-service.js';
import { feedProxies } from '../../src/daemon/proxy-feed.js';
import { createTaskService, type TaskService } from '../../src/daemon/task-service.js';
import { CONTROL_PROTOCOL_VERSION } from '../../src/proxy/control-protocol.js';
import { readJsonLines, writeJsonLine } from '../../src/proxy/json-lines.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

type Message = Record<string, unknown> & { type: string };

/**
 * The proxy's end of a task program's control socket: says `hello` with `protocol` (null: says
 * nothing, as a proxy from before versioning), answers `configure` with `listening`, keeps every
 * message, and resolves a wait as soon as a matching one arrives.
 */
function fakeProxy(t: TestContext, socketPath: string, protocol: number | null) {
  const received: Message[] = [];
  const waiters: Array<{ match: (message: Message) => boolean; resolve: (m: Message) => void }> =
    [];
  let socket: Socket | undefined;
  const server = createServer((connection) => {
    socket = connection;
    if (protocol !== null) writeJsonLine(connection, { type: 'hello', protocol });
    readJsonLines(
      connection,
      1 << 20,
      (value) => {
        const message = value as Message;
        received.push(message);
        if (message.type === 'configure') {
          writeJsonLine(connection, { type: 'listening', host: '127.0.0.1', port: 8000 });
        }
        if (message.type === 'stats') {
          const stats = { waiting: 0, unavailable: 0, instances: [] };
          writeJsonLine(connection, { type: 'stats', id: message.id, ...stats });
        }
        for (const waiter of waiters.splice(0)) {
          if (waiter.match(message)) waiter.resolve(message);
          else waiters.push(waiter);
        }
      },
      () => {},
    );
  });
  server.listen(socketPath);
  t.after(() => {
    socket?.destroy();
    server.close();
  });
  return {
    received,
    send: (message: Message) => {
      assert.ok(socket, 'the daemon is connected');
      writeJsonLine(socket, message);
    },
    /** The first message from now on that matches. */
    next: (match: (message: Message) => boolean): Promise<Message> =>
      new Promise((resolve) => waiters.push({ match, resolve })),
  };
}

async function makeTaskProgram(
  t: TestContext,
  extra: Record<string, unknown> = {},
  protocol: number | null = CONTROL_PROTOCOL_VERSION,
  isRestored = true,
  ports?: PortGuard,
) {
  const home = makeTempHome(t);
  const runDir = join(home, 'run');
  const runtime = new FakeRuntime();
  const bus = new EventBus({ now: () => runtime.now() });
  const events: TendEvent[] = [];
  bus.subscribe((event) => {
    events.push(event);
    // A process asked to stop exits at once.
    if (event.kind === 'instance.state' && event.state === 'stopping' && event.pid !== null) {
      const { pid } = event;
      queueMicrotask(() => runtime.exit(pid, { signal: 'SIGTERM' }));
    }
  });
  let tasks: TaskService | undefined;
  const problems: string[] = [];
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir,
    onProblem: (message) => problems.push(message),
    onTaskMessage: (name, message, reply) => tasks?.onProxyMessage(name, message, reply),
    ...(ports ? { ports } : {}),
  });
  feedProxies(bus, core);
  const leases = createLeaseService(
    bus,
    core,
    runtime,
    () => {},
    (name, instance) => Boolean(tasks?.isReserved(name, instance)),
  );
  // The instances have no task FIFO here: telling them fails, which is only reported.
  const taskProblems: string[] = [];
  tasks = createTaskService({
    bus,
    core,
    clock: runtime,
    leases,
    home,
    onProblem: (message) => taskProblems.push(message),
  });
  if (isRestored) tasks.restore(new Map());
  mkdirSync(runDir, { recursive: true });
  const proxy = fakeProxy(t, join(runDir, 'room.proxy.sock'), protocol);
  const configured = proxy.next((message) => message.type === 'configure');
  await core.add(
    ProgramSpecSchema.parse({
      name: 'room',
      command: 'node',
      cwd: '/',
      port: 7000,
      readiness: 'none',
      max: 3,
      proxy: { port: 8000 },
      tasks: { readyBuffer: 1, endWhen: 'owner-leaves' },
      ...extra,
    }),
  );
  const configure = await configured;
  return { core, runtime, events, proxy, configure, tasks, leases, bus, problems, taskProblems };
}

test('the proxy of a task program is configured with its task settings and answers allocate-task', async (t) => {
  const { core, proxy, configure, tasks, events, leases, bus, problems } = await makeTaskProgram(t);
  assert.deepEqual(configure.tasks, {
    readyBuffer: 1,
    endWhen: 'owner-leaves',
    graceMs: 30_000,
    connectWaitMs: 10_000,
  });

  // Only what changed goes to the proxy: the new task, not the whole table.
  const table = proxy.next(
    (message) => message.type === 'tasks-changed' && (message.tasks as unknown[]).length === 1,
  );
  // Likewise the membership: the task's instance out of the rotation, not every instance again.
  const rotation = proxy.next(
    (message) =>
      message.type === 'membership-changed' &&
      (message.upstreams as Array<{ instance: number; isReady: boolean }>).some(
        (member) => member.instance === 0 && !member.isReady,
      ),
  );
  const answer = proxy.next((message) => message.requestId === 'r1');
  proxy.send({ type: 'allocate-task', requestId: 'r1', id: 'room-1', owner: 'alice' });
  assert.deepEqual(await answer, {
    type: 'task-allocated',
    requestId: 'r1',
    task: {
      id: 'room-1',
      instance: 0,
      host: '127.0.0.1',
      port: 7000,
      state: 'ready',
      owner: 'alice',
    },
  });
  const change = await table;
  assert.deepEqual(
    proxy.received.filter((message) => message.type === 'tasks'),
    [{ type: 'tasks', tasks: [] }],
    'the whole table once, when the daemon connected',
  );
  assert.deepEqual(change.tasks, [
    { id: 'room-1', instance: 0, port: 7000, state: 'ready', owner: 'alice', host: '127.0.0.1' },
  ]);
  assert.deepEqual(change.ended, []);
  const outOfRotation = await rotation;
  assert.deepEqual(outOfRotation.removed, []);
  assert.equal(
    (outOfRotation.upstreams as unknown[]).length,
    1,
    'only the instance that changed: instance 1 is unchanged',
  );
  assert.equal(core.get('room').spec.instances, 2, 'the buffer was refilled');

  const refused = proxy.next((message) => message.requestId === 'r2');
  proxy.send({ type: 'allocate-task', requestId: 'r2', id: 'room-1', owner: 'bob' });
  assert.deepEqual(await refused, {
    type: 'refused',
    requestId: 'r2',
    status: 409,
    code: 'TEND_ERR_TASK_ID_TAKEN',
    message: '`room` already has a task `room-1`; choose another id, or join that task',
  });
  const invalid = proxy.next((message) => message.requestId === 'r3');
  proxy.send({ type: 'allocate-task', requestId: 'r3', id: '../x', owner: 'bob' });
  assert.equal((await invalid).status, 400);

  // The dispatcher through the proxy port: a lease on an instance that runs no task.
  const lease = proxy.next((message) => message.requestId === 'l1');
  proxy.send({
    type: 'allocate-lease',
    requestId: 'l1',
    holder: 'w',
    ttlMs: null,
    timeoutMs: 1_000,
  });
  const granted = await lease;
  assert.equal(granted.type, 'lease-granted');
  assert.equal((granted.lease as { instance: number }).instance, 1);
  // Granted after its proxy client left: the proxy releases it, and a second release changes nothing.
  const leaseId = (granted.lease as { lease: { id: string } }).lease.id;
  assert.equal(leases.list('room').length, 1);
  const released = new Promise<void>((resolve) => {
    const stop = bus.subscribe((event) => {
      if (event.kind !== 'lease.ended') return;
      stop();
      resolve();
    });
  });
  proxy.send({ type: 'release-lease', leaseId, holder: 'w' });
  proxy.send({ type: 'release-lease', leaseId, holder: 'w' });
  await released;
  assert.deepEqual(leases.list('room'), []);

  // The owner connects, then leaves: the task ends, its table entry goes, its process is replaced.
  const pid = core.get('room').pool.instance(0)?.pid;
  const emptied = proxy.next(
    (message) => message.type === 'tasks-changed' && (message.ended as string[]).includes('room-1'),
  );
  proxy.send({ type: 'task-connections', id: 'room-1', count: 1, isOwnerConnected: true });
  proxy.send({ type: 'task-connections', id: 'room-1', count: 0, isOwnerConnected: false });
  await emptied;
  assert.deepEqual(tasks.list('room'), []);
  const ended = events.find((event) => event.kind === 'task.ended');
  assert.ok(ended && ended.kind === 'task.ended');
  assert.deepEqual([ended.task, ended.end], ['room-1', 'owner-left']);
  const told = events.flatMap((event) => {
    if (event.kind === 'task.connections' && event.task === 'room-1')
      return [`${event.connections}${event.isOwnerConnected ? ' owner' : ''}`];
    return event.kind === 'task.ended' && event.task === 'room-1' ? ['ended'] : [];
  });
  assert.deepEqual(told, ['1 owner', '0', 'ended'], 'each change is an event, before the end');
  await new Promise((resolve) => setImmediate(resolve));
  const slot = core.get('room').pool.instance(0);
  assert.notEqual(slot?.pid, pid, 'a fresh process in its slot');
  assert.equal(
    proxy.received.filter((message) => message.type === 'upstreams').length,
    1,
    'the whole membership once, when the daemon connected',
  );
  const changes = proxy.received.filter((message) => message.type === 'membership-changed');
  assert.ok(changes.length > 1);
  for (const change of changes) {
    const size = (change.upstreams as unknown[]).length + (change.removed as unknown[]).length;
    assert.ok(size > 0, 'an unchanged membership is not sent again');
  }
  // Regression: the end of a task counted as a restart of its instance (RESTARTS in `tend ls`).
  const { stats } = slot?.snapshot() ?? assert.fail('no instance 0');
  assert.equal(stats.restarts, 0, 'not a restart');
  assert.equal(stats.exits.at(-1)?.reason, 'task ended (room-1, owner-left)');
  assert.equal(
    events.some((event) => event.kind === 'instance.restarted'),
    false,
  );
  const exited = events.findLast((event) => event.kind === 'instance.exited' && event.pid === pid);
  assert.equal(
    exited?.kind === 'instance.exited' && exited.reason,
    'task ended (room-1, owner-left)',
  );
  assert.deepEqual(
    problems.filter((problem) => problem.includes('control protocol')),
    [],
    'a proxy that speaks this daemon protocol is not reported',
  );
  assert.equal((await core.get('room').proxy?.view())?.outdatedProtocol, null);
});

const taskIds = (message: Message): string[] =>
  (message.tasks as Array<{ id: string }>).map((task) => task.id).sort();

for (const [proxyKind, protocol] of [
  ['says no hello (any proxy from before versioning)', null],
  ['says it speaks protocol 1', 1],
] as const) {
  test(`a proxy that ${proxyKind} gets the whole task table at each change, never tasks-changed, and the daemon says so once`, async (t) => {
    const { core, proxy, problems } = await makeTaskProgram(t, {}, protocol);

    const first = proxy.next(
      (message) => message.type === 'tasks' && taskIds(message).join() === 'room-1',
    );
    const answer = proxy.next((message) => message.requestId === 'r1');
    proxy.send({ type: 'allocate-task', requestId: 'r1', id: 'room-1', owner: 'alice' });
    assert.equal((await answer).type, 'task-allocated');
    assert.deepEqual((await first).tasks, [
      { id: 'room-1', instance: 0, port: 7000, state: 'ready', owner: 'alice', host: '127.0.0.1' },
    ]);

    const both = proxy.next(
      (message) => message.type === 'tasks' && taskIds(message).join() === 'room-1,room-2',
    );
    proxy.send({ type: 'allocate-task', requestId: 'r2', id: 'room-2', owner: 'bob' });
    await both;

    // room-1's owner leaves: its task ends, and the whole table comes without it.
    const without = proxy.next(
      (message) => message.type === 'tasks' && taskIds(message).join() === 'room-2',
    );
    proxy.send({ type: 'task-connections', id: 'room-1', count: 1, isOwnerConnected: true });
    proxy.send({ type: 'task-connections', id: 'room-1', count: 0, isOwnerConnected: false });
    await without;

    assert.deepEqual(
      proxy.received.filter((message) => message.type === 'tasks-changed'),
      [],
      'nothing it cannot parse',
    );
    const reported = problems.filter((problem) => problem.includes('control protocol'));
    assert.equal(reported.length, 1, 'said once for the proxy');
    assert.match(
      reported[0] ?? '',
      new RegExp(
        `^the proxy of room \\(pid \\d+\\) speaks control protocol 1, this daemon ${CONTROL_PROTOCOL_VERSION}: it runs an older tend's code, left running by a previous daemon, and is sent only what it understands: it is sent the whole task table and the whole membership at each change; \`tend restart room --proxy\` replaces it with one that runs the new code$`,
      ),
    );

    assert.equal((await core.get('room').proxy?.view())?.outdatedProtocol, 1);
  });
}

test('a task process that exits for good (restart never) ends its task, and its slot gets a fresh process', async (t) => {
  const { core, runtime, tasks, events } = await makeTaskProgram(t, { restart: 'never' });
  const task = await tasks.allocate('room', { id: 'done', owner: null, timeoutMs: 1_000 });
  runtime.exit(task.pid, { code: 0 });
  await new Promise((resolve) => setImmediate(resolve));
  const ended = events.find((event) => event.kind === 'task.ended');
  assert.ok(ended && ended.kind === 'task.ended' && ended.end === 'exited');
  const slot = core.get('room').pool.instance(task.instance);
  assert.equal(slot?.state, 'online', 'started again although its policy is never');
  assert.notEqual(slot?.pid, task.pid);
  await core.stop('room');
  assert.equal(
    core.get('room').pool.instance(task.instance)?.state,
    'stopped',
    'a stopped program is not refilled',
  );
});

test('lease-action from the proxy port renews and releases as the API does; twice, another holder or an unknown lease is refused and changes nothing', async (t) => {
  const { proxy, leases, runtime } = await makeTaskProgram(t);
  const ask = async (message: Message): Promise<Message> => {
    const answer = proxy.next((each) => each.requestId === message.requestId);
    proxy.send(message);
    return answer;
  };
  const granted = await ask({
    type: 'allocate-lease',
    requestId: 'l1',
    holder: 'w',
    ttlMs: 60_000,
    timeoutMs: 1_000,
  });
  const leaseId = (granted.lease as { lease: { id: string } }).lease.id;
  const action = (requestId: string, fields: Record<string, unknown>) =>
    ask({
      type: 'lease-action',
      requestId,
      action: 'release',
      leaseId,
      holder: 'w',
      ttlMs: null,
      ...fields,
    });

  const renewed = await action('a1', { action: 'renew', ttlMs: 5_000 });
  assert.equal(renewed.type, 'lease-updated');
  const renewedLease = (renewed.lease as { lease: { id: string; expiresAt: string } }).lease;
  assert.equal(renewedLease.id, leaseId);
  assert.equal(Date.parse(renewedLease.expiresAt), runtime.now() + 5_000);

  const stolen = await action('a2', { holder: 'mallory' });
  assert.deepEqual(
    [stolen.type, stolen.status, stolen.code],
    ['refused', 409, 'TEND_ERR_LEASE_NOT_YOURS'],
  );
  assert.deepEqual(
    leases.list('room').map((lease) => lease.lease.id),
    [leaseId],
    'still held',
  );

  const unknown = await action('a3', { leaseId: 'lfrom-another-pool' });
  assert.deepEqual([unknown.status, unknown.code], [404, 'TEND_ERR_LEASE_NOT_FOUND']);
  assert.match(String(unknown.message), /No lease `lfrom-another-pool` of `room`/);
  const invalid = await action('a4', { leaseId: '../x' });
  assert.deepEqual([invalid.status, invalid.code], [400, 'TEND_ERR_TASK_ID_INVALID']);
  assert.match(String(invalid.message), /Expected a lease id/);

  const released = await action('a5', {});
  assert.equal(released.type, 'lease-updated');
  assert.deepEqual(leases.list('room'), []);
  const twice = await action('a6', {});
  assert.deepEqual([twice.status, twice.code], [404, 'TEND_ERR_LEASE_NOT_FOUND']);
});

type Member = { instance: number; port: number; isReady: boolean; isDraining: boolean };
const membersOf = (message: Message): Member[] => message.upstreams as Member[];

test('a proxy that says it speaks protocol 2 gets tasks-changed but the whole membership at each change, never membership-changed', async (t) => {
  const { core, proxy, problems } = await makeTaskProgram(t, {}, 2);
  const outOfRotation = proxy.next(
    (message) =>
      message.type === 'upstreams' &&
      membersOf(message).some((member) => member.instance === 0 && !member.isReady),
  );
  const table = proxy.next((message) => message.type === 'tasks-changed');
  proxy.send({ type: 'allocate-task', requestId: 'r1', id: 'room-1', owner: 'alice' });
  await table;
  const whole = await outOfRotation;
  assert.deepEqual(
    membersOf(whole).map((member) => member.instance),
    [0, 1],
    'every instance, the unchanged one too',
  );
  assert.deepEqual(
    proxy.received.filter((message) => message.type === 'membership-changed'),
    [],
    'nothing it cannot parse',
  );
  const reported = problems.filter((problem) => problem.includes('control protocol'));
  assert.equal(reported.length, 1);
  assert.match(
    reported[0] ?? '',
    /speaks control protocol 2, this daemon \d+: .*: it is sent the whole membership at each change; `tend restart room --proxy` replaces it/,
  );
  assert.equal((await core.get('room').proxy?.view())?.outdatedProtocol, 2);
});

test('a proxy that restarts gets the whole membership on its new connection, then changes again', async (t) => {
  const { core, runtime, proxy, tasks } = await makeTaskProgram(t);
  const changed = proxy.next((message) => message.type === 'membership-changed');
  // Through the API: an owner the proxy does not wait for, so the task outlives the proxy's exit.
  await tasks.allocate('room', { id: 'room-1', owner: 'alice', timeoutMs: 1_000 });
  await changed;
  await new Promise((resolve) => setImmediate(resolve));
  const upstreamsBefore = proxy.received.filter((message) => message.type === 'upstreams').length;
  assert.equal(upstreamsBefore, 1);

  const wholeAgain = proxy.next((message) => message.type === 'upstreams');
  const proxyPid = core.get('room').proxy?.processSnapshot().pid;
  assert.ok(proxyPid);
  runtime.exit(proxyPid, { signal: 'SIGKILL' });
  runtime.advance(60_000);
  const whole = await wholeAgain;
  assert.deepEqual(
    membersOf(whole).map((member) => [member.instance, member.isReady]),
    [
      [0, false],
      [1, true],
    ],
    'the task instance out of the rotation, as the membership stands',
  );

  // The next change is a change again: room-1's owner leaves, its instance is replaced.
  const back = proxy.next((message) => message.type === 'membership-changed');
  proxy.send({ type: 'task-connections', id: 'room-1', count: 1, isOwnerConnected: true });
  proxy.send({ type: 'task-connections', id: 'room-1', count: 0, isOwnerConnected: false });
  const change = await back;
  assert.ok(membersOf(change).every((member) => member.instance === 0));
  assert.equal(proxy.received.filter((message) => message.type === 'upstreams').length, 2);
});

test('a proxy that exits takes every connection through it: a task whose owner was connected ends (owner-left), one whose owner asked there and never came gets connectWaitMs to come', async (t) => {
  const { core, proxy, runtime, tasks, events } = await makeTaskProgram(t);
  for (const [requestId, id] of [
    ['r1', 'here'],
    ['r2', 'never'],
  ] as const) {
    const answer = proxy.next((message) => message.requestId === requestId);
    proxy.send({ type: 'allocate-task', requestId, id, owner: 'alice' });
    assert.equal((await answer).type, 'task-allocated');
  }
  // As the proxy tells it (the control socket is the test's own, above).
  tasks.onProxyMessage(
    'room',
    { type: 'task-connections', id: 'here', count: 2, isOwnerConnected: true },
    () => {},
  );

  const proxyPid = core.get('room').proxy?.processSnapshot().pid;
  assert.ok(proxyPid);
  runtime.exit(proxyPid, { signal: 'SIGKILL' });
  const told = events.flatMap((event) => {
    if (event.kind === 'task.connections')
      return [`${event.task} ${event.connections}${event.isOwnerConnected ? ' owner' : ''}`];
    return event.kind === 'task.ended' ? [`${event.task} ended ${event.end}`] : [];
  });
  assert.deepEqual(told, ['here 2 owner', 'here 0', 'here ended owner-left']);
  assert.deepEqual(
    tasks.list('room').map((task) => task.id),
    ['never'],
  );
  // Its owner asked through that proxy: it has connectWaitMs to come through the next one.
  runtime.advance(9_999);
  assert.equal(tasks.list('room').length, 1);
  runtime.advance(1);
  const never = events.find((event) => event.kind === 'task.ended' && event.task === 'never');
  assert.ok(never?.kind === 'task.ended' && never.end === 'owner-left');
});

test('a program that stops ends its tasks with their processes (exited), not as owners leaving when its proxy stops first', async (t) => {
  const { core, proxy, tasks, events } = await makeTaskProgram(t);
  const answer = proxy.next((message) => message.requestId === 'r1');
  proxy.send({ type: 'allocate-task', requestId: 'r1', id: 'here', owner: 'alice' });
  assert.equal((await answer).type, 'task-allocated');
  tasks.onProxyMessage(
    'room',
    { type: 'task-connections', id: 'here', count: 1, isOwnerConnected: true },
    () => {},
  );
  await core.stop('room');
  const ends = events.flatMap((event) => (event.kind === 'task.ended' ? [event.end] : []));
  assert.deepEqual(ends, ['exited']);
  assert.equal(core.get('room').pool.instance(0)?.state, 'stopped', 'not refilled');
});

test('the first task table a proxy gets lists the saved tasks taken back, and its word on each ends one whose owner left while no daemon ran', async (t) => {
  const { core, proxy, tasks, bus } = await makeTaskProgram(t, {}, CONTROL_PROTOCOL_VERSION, false);
  const pid = core.get('room').pool.instance(0)?.pid;
  assert.ok(pid);
  // Connected and fed its membership, but no table yet: the saved tasks are not back.
  const table = proxy.next((message) => message.type === 'tasks');
  const isFed = (message: Message) => message.type === 'upstreams';
  if (!proxy.received.some(isFed)) await proxy.next(isFed);
  assert.equal(
    proxy.received.some((message) => message.type === 'tasks'),
    false,
  );

  const saved = { instance: 0, pid, owner: 'alice', createdAt: 1, isOwnerConnected: true };
  tasks.restore(new Map([['room', [{ ...saved, id: 'kept' }]]]));
  assert.deepEqual(taskIds(await table), ['kept']);
  assert.equal(tasks.list('room')[0]?.isOwnerConnected, true, 'as the state file said');

  // The proxy answers its first table with every task's connections (proxy-hub.ts).
  const ended = new Promise<TendEvent>((resolve) => {
    const stop = bus.subscribe((event) => {
      if (event.kind !== 'task.ended') return;
      stop();
      resolve(event);
    });
  });
  proxy.send({ type: 'task-connections', id: 'kept', count: 0, isOwnerConnected: false });
  const end = await ended;
  assert.ok(end.kind === 'task.ended' && end.task === 'kept' && end.end === 'owner-left');
  assert.deepEqual(tasks.list('room'), []);
});

test('a resize of the fleet that is refused is not tried again in a loop: once, then at the next change or request', async (t) => {
  let isRefusing = false;
  let refusals = 0;
  const ports: PortGuard = {
    refuseTaken: async (_program, range) => {
      if (!isRefusing || range === undefined) return;
      // As the real check, which reads /proc/net/tcp: a turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      refusals++;
      throw new Error(`port ${7000 + range.from} is already in use`);
    },
  };
  const { tasks, taskProblems } = await makeTaskProgram(
    t,
    {},
    CONTROL_PROTOCOL_VERSION,
    true,
    ports,
  );
  isRefusing = true;
  // Takes the buffer's instance: the fleet grows to refill it, and that is refused.
  await tasks.allocate('room', { id: 'a', owner: null, timeoutMs: 1_000 });
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(refusals, 1, 'once, not again and again');
  assert.equal(taskProblems.filter((problem) => problem.includes('resize')).length, 1);

  // Tried again when the fleet changes or another request needs an instance: it goes through now.
  isRefusing = false;
  const b = await tasks.allocate('room', { id: 'b', owner: null, timeoutMs: 1_000 });
  assert.equal(b.instance, 1);
  assert.equal(refusals, 1);
});
