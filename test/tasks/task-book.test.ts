import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TASK_DEFAULTS, type TaskSettings } from '../../src/config/task-settings.js';
import { TendError } from '../../src/errors.js';
import { instancesToRemove } from '../../src/tasks/ready-buffer.js';
import {
  type FleetMember,
  type Task,
  TaskBook,
  type TaskEnd,
  type TaskFleet,
} from '../../src/tasks/task-book.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

/**
 * A fake fleet: `ready` instances with processes (pids 100, 101…); grown instances have no
 * process until `start(i)`; a retired instance's process is gone until `start(i)` gives it a new pid.
 */
function makeFleet(options: {
  ready: number;
  max: number;
  min?: number;
  settings?: Partial<TaskSettings>;
}) {
  let nextPid = 100;
  const members: FleetMember[] = Array.from({ length: options.ready }, (_, instance) => ({
    instance,
    port: 7000 + instance,
    pid: nextPid++,
    isReady: true,
  }));
  const settings: TaskSettings = { ...TASK_DEFAULTS, ...options.settings };
  const retired: Array<{ instance: number; pid: number; reason: string }> = [];
  const takenElsewhere = new Set<number>();
  const events: string[] = [];
  /** The connection changes told, `id count` with ` owner` when the owner is connected. */
  const connections: string[] = [];
  let isRunning = true;
  const fleet: TaskFleet = {
    name: 'room',
    max: options.max,
    min: options.min ?? 1,
    settings: () => settings,
    isRunning: () => isRunning,
    members: () => members.map((member) => ({ ...member })),
    isTakenElsewhere: (instance) => takenElsewhere.has(instance),
    grow: () => {
      members.push({
        instance: members.length,
        port: 7000 + members.length,
        pid: null,
        isReady: false,
      });
    },
    shrink: (count) => {
      members.splice(members.length - count, count);
    },
    retire: (instance, pid, reason) => {
      retired.push({ instance, pid, reason });
      const member = members[instance];
      if (member) Object.assign(member, { pid: null, isReady: false });
    },
  };
  const clock = new FakeRuntime();
  const book = new TaskBook(fleet, clock, {
    allocated: (task: Task) => events.push(`allocated ${task.id} on ${task.instance}`),
    connectionsChanged: (task: Task) => {
      connections.push(`${task.id} ${task.connections}${task.isOwnerConnected ? ' owner' : ''}`);
      // Told before the end it may bring: the book already holds the new count.
      assert.equal(book.get(task.id).connections, task.connections);
    },
    ended: (task: Task, end: TaskEnd) => events.push(`ended ${task.id} ${end}`),
  });
  /** A fresh ready process for instance `i` (a grown one, or a retired one's replacement). */
  const start = (instance: number) => {
    const member = members[instance];
    assert.ok(member, `instance ${instance} exists`);
    Object.assign(member, { pid: nextPid++, isReady: true });
    book.poolChanged();
  };
  return {
    book,
    clock,
    members,
    retired,
    events,
    connections,
    takenElsewhere,
    start,
    stop: () => {
      isRunning = false;
    },
  };
}

const REQUEST = { id: null, owner: 'alice', timeoutMs: 1_000 };

test('a task goes to the lowest ready idle instance, with a fresh id, its owner, pid and time', async () => {
  const { book, clock, events } = makeFleet({ ready: 2, max: 4 });
  const task = await book.allocate(REQUEST);
  assert.equal(task.instance, 0);
  assert.equal(task.pid, 100);
  assert.equal(task.owner, 'alice');
  assert.equal(task.createdAt, clock.now());
  assert.match(task.id, /^t[a-z0-9]{10,}$/);
  assert.deepEqual(events, [`allocated ${task.id} on 0`]);
  assert.deepEqual(book.list(), [task]);
});

test('the id a client asks for is checked, and a second live task with it is refused 409', async () => {
  const { book, start } = makeFleet({ ready: 3, max: 3 });
  const task = await book.allocate({ ...REQUEST, id: 'room-42' });
  assert.equal(task.id, 'room-42');
  await assert.rejects(
    book.allocate({ ...REQUEST, id: 'room-42' }),
    isTendError('TEND_ERR_TASK_ID_TAKEN', /already has a task `room-42`/),
  );
  await assert.rejects(
    book.allocate({ ...REQUEST, id: '../x' }),
    isTendError('TEND_ERR_TASK_ID_INVALID'),
  );
  await assert.rejects(
    book.allocate({ ...REQUEST, id: 'x'.repeat(10_000) }),
    isTendError('TEND_ERR_TASK_ID_INVALID', /at most 64/),
  );
  book.close('room-42');
  start(0);
  assert.equal(
    (await book.allocate({ ...REQUEST, id: 'room-42' })).id,
    'room-42',
    'an ended task frees its id',
  );
});

test('two requests for one id while both wait: the second is refused at once', async () => {
  const { book, start } = makeFleet({ ready: 0, max: 2 });
  const first = book.allocate({ ...REQUEST, id: 'same' });
  await assert.rejects(
    book.allocate({ ...REQUEST, id: 'same' }),
    isTendError('TEND_ERR_TASK_ID_TAKEN'),
  );
  start(0);
  assert.equal((await first).id, 'same');
});

test('many requests at once never share an instance; past max they wait, then are refused naming the pool', async () => {
  const { book, clock } = makeFleet({ ready: 5, max: 5, settings: { readyBuffer: 0 } });
  const tasks = await Promise.all(Array.from({ length: 5 }, () => book.allocate(REQUEST)));
  assert.equal(new Set(tasks.map((task) => task.instance)).size, 5);
  const late = book.allocate(REQUEST);
  clock.advance(1_000);
  await assert.rejects(late, isTendError('TEND_ERR_ALLOCATION_TIMEOUT', /`room`.*max 5/));
});

test('the buffer is refilled after each allocation, never past max', async () => {
  const { book, members, start } = makeFleet({ ready: 2, max: 4, settings: { readyBuffer: 2 } });
  await book.allocate(REQUEST);
  assert.equal(members.length, 3, 'one more so that 2 stay idle');
  start(2);
  await book.allocate(REQUEST);
  await book.allocate(REQUEST);
  assert.equal(members.length, 4, 'max 4: no further');
});

test('with none ready, the fleet grows and the request is served once the new instance is ready', async () => {
  const { book, members, start } = makeFleet({ ready: 1, max: 3, settings: { readyBuffer: 0 } });
  await book.allocate(REQUEST);
  const second = book.allocate({ ...REQUEST, owner: 'bob' });
  assert.equal(members.length, 2);
  start(1);
  const task = await second;
  assert.deepEqual([task.instance, task.owner], [1, 'bob']);
});

test('an ended task retires its process, which is never handed out again', async () => {
  const { book, retired, members, events, start } = makeFleet({
    ready: 1,
    max: 1,
    settings: { readyBuffer: 0 },
  });
  const task = await book.allocate(REQUEST);
  const closed = book.close(task.id);
  assert.equal(closed.id, task.id);
  assert.deepEqual(retired, [{ instance: 0, pid: 100, reason: `task ended (${task.id}, closed)` }]);
  assert.deepEqual(events.slice(1), [`ended ${task.id} closed`]);
  // Even if the old process still looked ready, it is not handed out again.
  Object.assign(members[0] as FleetMember, { pid: 100, isReady: true });
  const next = book.allocate({ ...REQUEST, owner: 'bob' });
  let isServed = false;
  void next.then(() => {
    isServed = true;
  });
  await Promise.resolve();
  assert.equal(isServed, false, 'pid 100 ran a task: not for bob');
  start(0);
  const fresh = await next;
  assert.deepEqual([fresh.instance, fresh.pid], [0, 101]);
  assert.throws(() => book.close(task.id), isTendError('TEND_ERR_TASK_NOT_FOUND'));
});

test('owner-leaves: the task ends when its owner disconnects, not before it connected', async () => {
  const { book, events } = makeFleet({ ready: 2, max: 2 });
  const task = await book.allocate(REQUEST);
  book.setConnections(task.id, 0, false);
  assert.equal(book.list().length, 1, 'an owner that never connected did not leave');
  book.setConnections(task.id, 2, true);
  book.setConnections(task.id, 1, true);
  assert.deepEqual(book.get(task.id).connections, 1);
  book.setConnections(task.id, 1, false);
  assert.equal(book.list().length, 0);
  assert.equal(events.at(-1), `ended ${task.id} owner-left`);
});

test('each change of a task’s connections is told once, the change that ends it too, before the end', async () => {
  const { book, events, connections } = makeFleet({ ready: 2, max: 2 });
  const task = await book.allocate(REQUEST);
  book.setConnections(task.id, 1, true);
  book.setConnections(task.id, 1, true);
  book.setConnections(task.id, 2, true);
  book.setConnections(task.id, 2, false, true);
  book.setConnections('t-unknown', 3, true);
  assert.deepEqual(connections, [`${task.id} 1 owner`, `${task.id} 2 owner`, `${task.id} 2`]);
  assert.equal(events.at(-1), `ended ${task.id} owner-left`);
  book.setConnections(task.id, 0, false);
  assert.equal(connections.length, 3, 'an ended task tells nothing more');
});

test('an owner that the proxy says will not come (it left before its task was connected) ends the task as if it left', async () => {
  const { book, events } = makeFleet({ ready: 2, max: 2 });
  const task = await book.allocate(REQUEST);
  book.setConnections(task.id, 1, false);
  assert.equal(book.list().length, 1, 'a joiner without the owner keeps it');
  book.setConnections(task.id, 0, false, true);
  assert.equal(book.list().length, 0);
  assert.equal(events.at(-1), `ended ${task.id} owner-left`);
});

/** A task of a fleet that keeps a task 5 s for its owner, whose owner connected and left just now. */
async function ownerLeftGraceTask() {
  const fleet = makeFleet({ ready: 2, max: 2, settings: { endWhen: 'grace', graceMs: 5_000 } });
  const task = await fleet.book.allocate(REQUEST);
  fleet.book.setConnections(task.id, 1, true);
  fleet.book.setConnections(task.id, 0, false);
  return { ...fleet, task };
}

test('grace: the task waits graceMs for its owner, and lives on when it is back', async () => {
  const { book, clock, events, task } = await ownerLeftGraceTask();
  clock.advance(4_999);
  book.setConnections(task.id, 1, true);
  clock.advance(10_000);
  assert.equal(book.list().length, 1, 'back within the grace: kept');
  book.setConnections(task.id, 0, false);
  clock.advance(4_999);
  assert.equal(book.list().length, 1);
  clock.advance(1);
  assert.equal(book.list().length, 0);
  assert.equal(events.at(-1), `ended ${task.id} owner-left`);
});

test('HTTP requests coming and going change the count only: an owner-leaves task lives on', async () => {
  const { book } = makeFleet({ ready: 2, max: 2 });
  // Allocated through the API: its owner never connects; the proxy counts plain requests.
  const quiet = await book.allocate(REQUEST);
  for (const count of [1, 2, 1, 0, 1, 0]) book.setConnections(quiet.id, count, false);
  assert.equal(book.get(quiet.id).connections, 0);
  // The owner's WebSocket is connected; requests beside it never say the owner left.
  const busy = await book.allocate(REQUEST);
  book.setConnections(busy.id, 1, true);
  for (const count of [2, 3, 2, 1]) book.setConnections(busy.id, count, true);
  assert.equal(book.list().length, 2, 'neither task ended');
  assert.equal(book.get(busy.id).connections, 1);
});

test('grace: HTTP requests while the owner is away neither end the task early nor restart its grace', async () => {
  const { book, clock, events, task } = await ownerLeftGraceTask();
  clock.advance(3_000);
  book.setConnections(task.id, 1, false);
  book.setConnections(task.id, 0, false);
  clock.advance(1_999);
  assert.equal(book.list().length, 1);
  clock.advance(1);
  assert.equal(book.list().length, 0, 'ended graceMs after the owner left, not after the requests');
  assert.equal(events.at(-1), `ended ${task.id} owner-left`);
});

test('the ids of the proxy port’s routes are not task ids', async () => {
  const { book } = makeFleet({ ready: 1, max: 1 });
  for (const id of ['new', 'allocate', 'leases']) {
    await assert.rejects(
      book.allocate({ ...REQUEST, id }),
      isTendError('TEND_ERR_TASK_ID_INVALID', new RegExp(`other than "${id}"`)),
    );
  }
  assert.deepEqual(book.list(), []);
});

test('explicit: only close, exit or the process itself end the task', async () => {
  const { book, events, retired } = makeFleet({
    ready: 3,
    max: 3,
    settings: { endWhen: 'explicit' },
  });
  const [a, b, c] = await Promise.all([
    book.allocate(REQUEST),
    book.allocate(REQUEST),
    book.allocate(REQUEST),
  ]);
  assert.ok(a && b && c);
  book.setConnections(a.id, 1, true);
  book.setConnections(a.id, 0, false);
  assert.equal(book.list().length, 3);
  book.processExited(a.instance, a.pid);
  assert.equal(book.processSaid(b.instance, 9999, 'shutdown'), null, 'a stale pid is ignored');
  book.processSaid(b.instance, b.pid, 'shutdown');
  book.processSaid(c.instance, c.pid, 'free');
  assert.deepEqual(events.slice(3), [
    `ended ${a.id} exited`,
    `ended ${b.id} shutdown`,
    `ended ${c.id} freed`,
  ]);
  assert.deepEqual(
    retired.map((entry) => entry.instance),
    [1, 2],
    'an exited process is not stopped again',
  );
});

test('a process may allocate itself (TASK_STATE=allocated) when idle', async () => {
  const { book, events } = makeFleet({ ready: 2, max: 3 });
  const self = book.processSaid(1, 101, 'allocated');
  assert.ok(self);
  assert.deepEqual([self.instance, self.owner], [1, null]);
  assert.equal(book.processSaid(1, 101, 'allocated'), null, 'once');
  assert.equal((await book.allocate(REQUEST)).instance, 0, 'instance 1 is taken');
  assert.equal(events[0], `allocated ${self.id} on 1`);
});

test('instances handed out by the dispatcher are not for tasks, and count as allocated for the buffer', async () => {
  const { book, takenElsewhere, members } = makeFleet({
    ready: 2,
    max: 4,
    settings: { readyBuffer: 1 },
  });
  takenElsewhere.add(0);
  const task = await book.allocate(REQUEST);
  assert.equal(task.instance, 1);
  assert.equal(members.length, 3, 'two allocated (a lease and a task): one more for the buffer');
});

test('once tasks end the fleet shrinks from the top back to its buffer, never below min', async () => {
  const { book, members, start } = makeFleet({ ready: 1, max: 4, settings: { readyBuffer: 1 } });
  const first = await book.allocate(REQUEST);
  start(1);
  const second = await book.allocate(REQUEST);
  start(2);
  assert.equal(members.length, 3);
  book.close(second.id);
  start(1);
  assert.equal(members.length, 2, 'instance 2 (idle, on top) went: one idle left besides the task');
  book.close(first.id);
  start(0);
  assert.equal(members.length, 1);
  assert.equal(instancesToRemove({ isAllocated: [false, true, false], min: 1, readyBuffer: 0 }), 1);
  assert.equal(instancesToRemove({ isAllocated: [false, false], min: 2, readyBuffer: 0 }), 0);
});

test('a stopped program is neither refilled nor trimmed', async () => {
  const { book, members, stop } = makeFleet({ ready: 1, max: 4, settings: { readyBuffer: 1 } });
  stop();
  await book.allocate(REQUEST);
  assert.equal(members.length, 1);
});

test('a saved task is taken over only with the same process; removal ends every task', async () => {
  const { book, events } = makeFleet({ ready: 2, max: 2 });
  const saved = { owner: 'alice', createdAt: 5, isOwnerConnected: false };
  assert.equal(book.restore({ ...saved, id: 'kept', instance: 0, pid: 100 }), true);
  assert.equal(book.restore({ ...saved, id: 'gone', instance: 1, pid: 4242 }), false);
  assert.deepEqual(events, [], 'a taken-over task is not allocated again');
  assert.equal(book.get('kept').createdAt, 5);
  assert.equal((await book.allocate(REQUEST)).instance, 1);
  book.removeAll('deleted');
  assert.equal(book.list().length, 0);
  assert.match(events.at(-1) ?? '', /removed$/);
});

function isTendError(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TendError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

test('the proxy gone: each task has no connection left, so a connected owner has left; one that never connected has not', async () => {
  const { book, events, connections } = makeFleet({ ready: 3, max: 3 });
  const [connected, joined, waiting] = await Promise.all([
    book.allocate(REQUEST),
    book.allocate(REQUEST),
    book.allocate(REQUEST),
  ]);
  book.setConnections(connected.id, 2, true);
  book.setConnections(joined.id, 1, false);
  book.connectionsLost();
  assert.deepEqual(connections, [
    `${connected.id} 2 owner`,
    `${joined.id} 1`,
    `${connected.id} 0`,
    `${joined.id} 0`,
  ]);
  assert.deepEqual(
    book.list().map((task) => task.id),
    [joined.id, waiting.id],
  );
  assert.equal(events.at(-1), `ended ${connected.id} owner-left`);
});

test('the proxy gone with grace: the grace of a connected owner starts then, and ends the task graceMs later', async () => {
  const fleet = makeFleet({ ready: 2, max: 2, settings: { endWhen: 'grace', graceMs: 5_000 } });
  const { book, clock, events } = fleet;
  const task = await book.allocate(REQUEST);
  book.setConnections(task.id, 1, true);
  book.connectionsLost();
  clock.advance(4_999);
  assert.equal(book.list().length, 1, 'within its grace');
  // Back through the next proxy within the grace: kept.
  book.setConnections(task.id, 1, true);
  clock.advance(10_000);
  assert.equal(book.list().length, 1);
  book.connectionsLost();
  clock.advance(5_000);
  assert.equal(book.list().length, 0);
  assert.equal(events.at(-1), `ended ${task.id} owner-left`);
});

test('a saved owner connected (or within its grace) is taken as connected until the proxy says: gone, the task ends; there, it stays', async () => {
  const fleet = makeFleet({ ready: 3, max: 3, settings: { endWhen: 'grace', graceMs: 5_000 } });
  const { book, clock } = fleet;
  const [present, away, never] = await Promise.all([
    book.allocate(REQUEST),
    book.allocate(REQUEST),
    book.allocate(REQUEST),
  ]);
  book.setConnections(present.id, 1, true);
  book.setConnections(away.id, 1, true);
  book.setConnections(away.id, 0, false);
  assert.deepEqual(
    book.saved().map((task) => [task.id, task.instance, task.pid, task.isOwnerConnected]),
    [
      [present.id, 0, 100, true],
      [away.id, 1, 101, true],
      [never.id, 2, 102, false],
    ],
    'the one within its grace counts as connected',
  );

  // The next daemon's book, over the same processes.
  const next = makeFleet({ ready: 3, max: 3, settings: { endWhen: 'grace', graceMs: 5_000 } });
  for (const task of book.saved()) assert.equal(next.book.restore(task), true);
  assert.equal(next.book.get(present.id).isOwnerConnected, true);
  // The proxy tells every task's connections to the daemon that connects.
  next.book.setConnections(present.id, 1, true);
  next.book.setConnections(away.id, 0, false);
  next.book.setConnections(never.id, 0, false);
  clock.advance(60_000);
  next.clock.advance(4_999);
  assert.equal(next.book.list().length, 3);
  next.clock.advance(1);
  assert.deepEqual(
    next.book.list().map((task) => task.id),
    [present.id, never.id],
    'the owner away ended its task a grace after the proxy said so; the others stay',
  );
  assert.equal(next.events.at(-1), `ended ${away.id} owner-left`);
});

test('the proxy gone before an owner that asked there connected: it has connectWaitMs to connect through the next one, then it has given up; an owner of the API is not awaited', async () => {
  const { book, clock, events } = makeFleet({
    ready: 3,
    max: 3,
    settings: { connectWaitMs: 2_000 },
  });
  const awaited = { ...REQUEST, isOwnerAwaited: true };
  const [lost, back, api] = await Promise.all([
    book.allocate(awaited),
    book.allocate(awaited),
    book.allocate(REQUEST),
  ]);
  book.connectionsLost();
  clock.advance(1_999);
  book.setConnections(back.id, 1, true);
  assert.equal(book.list().length, 3, 'within the wait');
  clock.advance(1);
  assert.deepEqual(
    book.list().map((task) => task.id),
    [back.id, api.id],
  );
  assert.equal(events.at(-1), `ended ${lost.id} owner-left`);
  // The one that came back is an owner as any: the next proxy gone, it has left.
  book.connectionsLost();
  clock.advance(10_000);
  assert.deepEqual(
    book.list().map((task) => task.id),
    [api.id],
  );
});
