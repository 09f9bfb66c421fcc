import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DaemonMessage,
  DaemonMessageSchema,
  type ProxyMessage,
} from '../../src/proxy/control-protocol.js';
import { ProxyHub } from '../../src/proxy/proxy-hub.js';
import type { WorkerLinkEvents, WorkerStarter } from '../../src/proxy/worker-link.js';
import type { WorkerMessage } from '../../src/proxy/worker-messages.js';

/** A worker that records what it is sent and answers `configure` at once; the test speaks for it. */
interface FakeWorker {
  id: number;
  received: DaemonMessage[];
  events: WorkerLinkEvents;
  say(message: WorkerMessage): void;
}

function fakeHub() {
  const daemon = { isConnected: true };
  const workers: FakeWorker[] = [];
  const sent: ProxyMessage[] = [];
  const watchers = new Set<() => void>();
  /** Resolves once `check` holds, checked after each message the hub sends or a worker receives. */
  const when = (check: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const watcher = (): void => {
        if (!check()) return;
        watchers.delete(watcher);
        resolve();
      };
      watchers.add(watcher);
      watcher();
    });
  const notify = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  const logged: string[] = [];
  const start: WorkerStarter = (id, events) => {
    const worker: FakeWorker = {
      id,
      received: [],
      events,
      say: (message) => events.onMessage(message),
    };
    workers.push(worker);
    return {
      pid: 1000 + id,
      send: (message) => {
        worker.received.push(message);
        notify();
        if (message.type === 'configure') {
          queueMicrotask(() =>
            events.onMessage({ type: 'listening', host: '127.0.0.1', port: 8000 }),
          );
        }
      },
      stop: async () => {},
    };
  };
  const hub = new ProxyHub({
    broadcast: (message, callback) => {
      sent.push(message);
      callback?.();
      notify();
    },
    isDaemonConnected: () => daemon.isConnected,
    onFatal: () => assert.fail('not fatal'),
    startInProcess: start,
    startCluster: start,
    log: (line) => logged.push(line),
  });
  const handle = (message: unknown, reply: (message: ProxyMessage) => void = () => {}): void =>
    hub.handle(DaemonMessageSchema.parse(message), reply);
  const configured = async (workerCount: number): Promise<void> => {
    handle({ type: 'configure', pool: 'web', listen: { port: 0 }, workers: workerCount });
    await when(() => sent.some((message) => message.type === 'listening'));
  };
  return { hub, workers, sent, logged, handle, configured, when, daemon };
}

const member = (instance: number, isDraining: boolean) => ({
  instance,
  port: 9000 + instance,
  isReady: !isDraining,
  isDraining,
});

test('answers carrying a requestId go to the worker that asked, with its own requestId', async () => {
  const { workers, sent, handle, configured } = fakeHub();
  await configured(2);
  const [one, two] = workers as [FakeWorker, FakeWorker];
  two.say({ type: 'allocate-task', requestId: 'r1', id: null, owner: 'client' });
  const asked = sent.find((message) => message.type === 'allocate-task');
  assert.deepEqual(asked, {
    type: 'allocate-task',
    requestId: `${two.id}:r1`,
    id: null,
    owner: 'client',
  });

  handle({ type: 'refused', requestId: `${two.id}:r1`, status: 503, code: 'X', message: 'no' });
  assert.equal(
    one.received.some((message) => message.type === 'refused'),
    false,
  );
  assert.deepEqual(two.received.at(-1), {
    type: 'refused',
    requestId: 'r1',
    status: 503,
    code: 'X',
    message: 'no',
  });
  // An answer for a worker that is gone, or a requestId the hub never made, reaches nobody.
  handle({ type: 'refused', requestId: 'r1', status: 503, code: 'X', message: 'no' });
  assert.equal(two.received.filter((message) => message.type === 'refused').length, 1);
});

test('with no daemon connected, a request of a worker is refused at once, to that worker alone', async () => {
  const { workers, sent, configured, daemon } = fakeHub();
  await configured(2);
  const [one, two] = workers as [FakeWorker, FakeWorker];
  daemon.isConnected = false;
  two.say({ type: 'allocate-task', requestId: 'r1', id: null, owner: 'client' });
  assert.equal(sent.filter((message) => message.type === 'allocate-task').length, 0);
  assert.deepEqual(two.received.at(-1), {
    type: 'refused',
    requestId: 'r1',
    status: 503,
    code: 'TEND_ERR_DAEMON_UNREACHABLE',
    message: 'No daemon is connected to the proxy to allocate',
  });
  assert.equal(
    one.received.some((message) => message.type === 'refused'),
    false,
  );
});

test('an owner that one worker says will not come is reported so only if no other worker has it', async () => {
  const { workers, sent, configured } = fakeHub();
  await configured(2);
  const [one, two] = workers as [FakeWorker, FakeWorker];
  one.say({ type: 'task-connections', id: 't1', count: 1, isOwnerConnected: true });
  two.say({
    type: 'task-connections',
    id: 't1',
    count: 0,
    isOwnerConnected: false,
    hasOwnerGivenUp: true,
  });
  assert.deepEqual(sent.at(-1), {
    type: 'task-connections',
    id: 't1',
    count: 1,
    isOwnerConnected: true,
  });
  one.say({ type: 'task-connections', id: 't1', count: 0, isOwnerConnected: false });
  two.say({
    type: 'task-connections',
    id: 't1',
    count: 0,
    isOwnerConnected: false,
    hasOwnerGivenUp: true,
  });
  assert.deepEqual(sent.at(-1), {
    type: 'task-connections',
    id: 't1',
    count: 0,
    isOwnerConnected: false,
    hasOwnerGivenUp: true,
  });
});

test('an instance is drained once every worker is; a dead worker no longer counts', async () => {
  const { workers, sent, handle, configured } = fakeHub();
  await configured(3);
  const [one, two, three] = workers as [FakeWorker, FakeWorker, FakeWorker];
  handle({ type: 'upstreams', upstreams: [member(0, true)] });
  one.say({ type: 'drained', instance: 0 });
  two.say({ type: 'drained', instance: 0 });
  assert.equal(sent.filter((message) => message.type === 'drained').length, 0);
  three.events.onExit(null, 'SIGKILL');
  assert.deepEqual(
    sent.filter((message) => message.type === 'drained'),
    [{ type: 'drained', instance: 0 }],
  );
});

test("a task's connections are summed over the workers, and a dead worker's are taken off", async () => {
  const { workers, sent, configured, logged } = fakeHub();
  await configured(2);
  const [one, two] = workers as [FakeWorker, FakeWorker];
  one.say({ type: 'task-connections', id: 't', count: 2, isOwnerConnected: true });
  two.say({ type: 'task-connections', id: 't', count: 3, isOwnerConnected: false });
  one.events.onExit(1, null);
  const reports = sent.filter((message) => message.type === 'task-connections');
  assert.deepEqual(
    reports.map((message) => [message.count, message.isOwnerConnected]),
    [
      [2, true],
      [5, true],
      [3, false],
    ],
  );
  assert.match(logged.join('\n'), /worker 1 \(pid 1001\) exited with code 1.*starting worker 3/);
});

const routed = (id: string, instance: number) => ({
  id,
  instance,
  port: 7000 + instance,
  state: 'ready',
  owner: 'alice',
});

test("each daemon that connects is told every task's connections after its first table, once", async () => {
  const { workers, sent, handle, configured } = fakeHub();
  await configured(2);
  const [one, two] = workers as [FakeWorker, FakeWorker];
  one.say({ type: 'task-connections', id: 'a', count: 1, isOwnerConnected: true });
  two.say({ type: 'task-connections', id: 'a', count: 2, isOwnerConnected: false });
  two.say({ type: 'task-connections', id: 'b', count: 1, isOwnerConnected: false });
  // The daemon that was told these is gone; a new one connects and sends its table.
  const told: ProxyMessage[] = [];
  const reply = (message: ProxyMessage): void => {
    told.push(message);
  };
  const broadcast = sent.length;
  handle({ type: 'tasks', tasks: [routed('a', 0), routed('b', 1), routed('c', 2)] }, reply);
  assert.deepEqual(told, [
    { type: 'task-connections', id: 'a', count: 3, isOwnerConnected: true },
    { type: 'task-connections', id: 'b', count: 1, isOwnerConnected: false },
    { type: 'task-connections', id: 'c', count: 0, isOwnerConnected: false },
  ]);
  assert.equal(sent.length, broadcast, 'to that daemon alone');
  // A second table on the same connection (a daemon of the first protocol sends one per change) is not answered.
  handle({ type: 'tasks', tasks: [routed('a', 0)] }, reply);
  assert.equal(told.length, 3);
  // Another connection is told again; b ended meanwhile, and its count went with it.
  const second: ProxyMessage[] = [];
  handle({ type: 'tasks', tasks: [routed('a', 0), routed('b', 1)] }, (message) => {
    second.push(message);
  });
  assert.deepEqual(
    second.map((message) => message.type === 'task-connections' && message.count),
    [3, 0],
  );
});

test('an ended task’s count is forgotten: a task of that id later starts from none', async () => {
  const { workers, handle, configured } = fakeHub();
  await configured(1);
  const [one] = workers as [FakeWorker];
  one.say({ type: 'task-connections', id: 'a', count: 2, isOwnerConnected: true });
  handle({ type: 'tasks-changed', tasks: [], ended: ['a'] });
  const told: ProxyMessage[] = [];
  handle({ type: 'tasks', tasks: [routed('a', 0)] }, (message) => {
    told.push(message);
  });
  assert.deepEqual(told, [
    { type: 'task-connections', id: 'a', count: 0, isOwnerConnected: false },
  ]);
});

test('a worker that starts late gets the configuration and the latest of every message', async () => {
  const { workers, handle, configured, when } = fakeHub();
  await configured(2);
  handle({ type: 'upstreams', upstreams: [member(0, false)] });
  handle({ type: 'upstreams', upstreams: [member(0, false), member(1, false)] });
  (workers[0] as FakeWorker).events.onExit(null, 'SIGKILL');
  await when(() => (workers[2]?.received.length ?? 0) >= 2);
  const late = workers[2] as FakeWorker;
  assert.deepEqual(
    late.received.map((message) => message.type),
    ['configure', 'upstreams'],
  );
  const upstreams = late.received[1];
  assert.equal(upstreams?.type === 'upstreams' && upstreams.upstreams.length, 2);
});

test('task table changes reach every worker as they come, and a worker that starts late gets the table they add up to', async () => {
  const { workers, handle, configured, when } = fakeHub();
  await configured(2);
  const task = (id: string, instance: number) => ({
    id,
    instance,
    port: 7000 + instance,
    state: 'ready',
    owner: null,
  });
  handle({ type: 'tasks', tasks: [task('t1', 0)] });
  handle({ type: 'upstreams', upstreams: [member(0, false)] });
  handle({ type: 'tasks-changed', tasks: [task('t2', 1), task('t3', 2)], ended: [] });
  handle({ type: 'tasks-changed', tasks: [], ended: ['t1'] });
  const first = workers[0] as FakeWorker;
  assert.deepEqual(
    first.received.map((message) => message.type),
    ['configure', 'tasks', 'upstreams', 'tasks-changed', 'tasks-changed'],
    'each change is passed on as it is',
  );
  (workers[1] as FakeWorker).events.onExit(null, 'SIGKILL');
  await when(() => (workers[2]?.received.length ?? 0) >= 3);
  const late = workers[2] as FakeWorker;
  assert.deepEqual(
    late.received.map((message) => message.type),
    ['configure', 'tasks', 'upstreams'],
  );
  const table = late.received[1];
  assert.deepEqual(table?.type === 'tasks' && table.tasks.map((each) => each.id), ['t2', 't3']);
});

test('membership changes reach every worker as they come, and a worker that starts late gets the membership they add up to', async () => {
  const { workers, handle, configured, when } = fakeHub();
  await configured(2);
  handle({ type: 'upstreams', upstreams: [member(0, false), member(1, false)] });
  handle({
    type: 'membership-changed',
    upstreams: [{ ...member(1, false), isReady: false }, member(2, false)],
    removed: [],
  });
  handle({ type: 'membership-changed', upstreams: [], removed: [0] });
  const first = workers[0] as FakeWorker;
  assert.deepEqual(
    first.received.map((message) => message.type),
    ['configure', 'upstreams', 'membership-changed', 'membership-changed'],
    'each change is passed on as it is',
  );
  (workers[1] as FakeWorker).events.onExit(null, 'SIGKILL');
  await when(() => (workers[2]?.received.length ?? 0) >= 2);
  const late = workers[2] as FakeWorker;
  assert.deepEqual(
    late.received.map((message) => message.type),
    ['configure', 'upstreams'],
  );
  const membership = late.received[1];
  assert.deepEqual(
    membership?.type === 'upstreams' &&
      membership.upstreams.map((each) => [each.instance, each.isReady]),
    [
      [1, false],
      [2, true],
    ],
  );
});

test('a drain that a membership change ends no longer waits for the workers', async () => {
  const { workers, sent, handle, configured } = fakeHub();
  await configured(2);
  const [one, two] = workers as [FakeWorker, FakeWorker];
  handle({ type: 'upstreams', upstreams: [member(0, true)] });
  one.say({ type: 'drained', instance: 0 });
  handle({ type: 'membership-changed', upstreams: [member(0, false)], removed: [] });
  two.say({ type: 'drained', instance: 0 });
  assert.equal(
    sent.filter((message) => message.type === 'drained').length,
    0,
    'the first worker said drained for a drain that ended',
  );
});

test('an owner whose worker died before it connected has connectWaitMs to connect through another, then the daemon is told it will not come', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { workers, sent, handle, when } = fakeHub();
  handle({
    type: 'configure',
    pool: 'rooms',
    listen: { port: 0 },
    workers: 2,
    tasks: { connectWaitMs: 1_000 },
  });
  await when(() => sent.some((message) => message.type === 'listening'));
  const [one, two] = workers as [FakeWorker, FakeWorker];
  const allocated = (requestId: string, id: string) =>
    handle({ type: 'task-allocated', requestId, task: routed(id, 0) });
  for (const [requestId, id] of [
    ['r1', 'lost'],
    ['r2', 'back'],
    ['r3', 'late'],
    ['r4', 'here'],
  ] as const) {
    two.say({ type: 'allocate-task', requestId, id, owner: 'alice' });
  }
  allocated(`${two.id}:r1`, 'lost');
  allocated(`${two.id}:r2`, 'back');
  allocated(`${two.id}:r4`, 'here');
  two.say({ type: 'task-connections', id: 'here', count: 1, isOwnerConnected: true });
  two.events.onExit(null, 'SIGKILL');
  // Answered after its worker died: nobody will hand the owner its task.
  allocated(`${two.id}:r3`, 'late');
  one.say({ type: 'task-connections', id: 'back', count: 1, isOwnerConnected: true });

  const givenUp = () =>
    sent.flatMap((message) =>
      message.type === 'task-connections' && message.hasOwnerGivenUp ? [message.id] : [],
    );
  t.mock.timers.tick(999);
  assert.deepEqual(givenUp(), []);
  t.mock.timers.tick(1);
  assert.deepEqual(givenUp().sort(), ['late', 'lost']);
  assert.deepEqual(sent.at(-1), {
    type: 'task-connections',
    id: givenUp().at(-1),
    count: 0,
    isOwnerConnected: false,
    hasOwnerGivenUp: true,
  });
  // 'here' was connected through the dead worker: reported gone at its death, not given up.
  const here = sent.filter(
    (message) => message.type === 'task-connections' && message.id === 'here',
  );
  assert.deepEqual(
    here.map((message) => message.type === 'task-connections' && message.isOwnerConnected),
    [true, false],
  );
});
