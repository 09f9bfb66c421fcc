import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClient } from '../../src/api/client.js';
import type { AllocationReply, ProgramDetail, TaskReply } from '../../src/api/wire.js';
import type { TendEvent } from '../../src/core/events.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, type TendUnderTest, useTend } from './harness.js';

/** The task events so far: the kept events are replayed (since 0) up to the last before the stream opened. */
async function taskEvents(tend: TendUnderTest): Promise<TendEvent[]> {
  const events: TendEvent[] = [];
  const abort = new AbortController();
  let lastSeq = Number.POSITIVE_INFINITY;
  const timer = setTimeout(() => abort.abort(), 10_000);
  await new ApiClient({ socketPath: tend.socket })
    .events(
      { since: 0 },
      (message) => {
        if (message.kind === 'stream.open') lastSeq = message.nextSeq - 1;
        else if (!('seq' in message)) return;
        else {
          if (message.kind === 'task.allocated' || message.kind === 'task.ended')
            events.push(message);
          if (message.seq >= lastSeq) abort.abort();
        }
      },
      abort.signal,
    )
    .catch(() => {});
  clearTimeout(timer);
  return events;
}

/** How long a wait may take: a started process must be ready, on a 2-core machine shared with other runs. */
const WAIT_MS = 30_000;

/** `tend.until` with WAIT_MS. */
function waitFor<T>(
  tend: TendUnderTest,
  what: string,
  check: () => Promise<T | undefined | false>,
): Promise<T> {
  return tend.until(what, check, WAIT_MS);
}

const idleReady = (program: ProgramDetail): number =>
  program.instances.filter(
    (instance) =>
      instance.status === 'online' &&
      !(program.tasks ?? []).some((task) => task.instance === instance.instance),
  ).length;

/** Starts `room`: a task program of the task-room fixture, one idle instance kept ready, at most 3; resolves with its base port. */
async function startRoom(tend: TendUnderTest): Promise<number> {
  const base = await findFreePortRange(3);
  // biome-ignore format: one flag and its value a line
  await tend.ok([
    'start', '--name', 'room', '--tasks', '--ready-buffer', '1', '--max', '3',
    '--port', String(base), '--', ...fixture('task-room'),
  ]);
  return base;
}

test('a task program: allocate through the API, the process learns its task, tend close stops it and the buffer refills, an exit ends a task', async (t) => {
  const tend = useTend(t);
  const base = await startRoom(tend);
  const started = await tend.program('room');
  assert.equal(started.instances.length, 1, 'the fleet starts with its buffer');
  assert.deepEqual(started.tasks, []);

  // Allocate a task with an id and an owner; the process reads it from its task FIFO.
  const allocated = await tend.api<TaskReply>('POST', '/v1/programs/room/tasks', {
    id: 'room-42',
    owner: 'alice smith',
  });
  assert.equal(allocated.status, 200, JSON.stringify(allocated.body));
  const task = allocated.body;
  assert.deepEqual(
    [task.id, task.instance, task.port, task.owner],
    ['room-42', 0, base, 'alice smith'],
  );
  await waitFor(tend, 'the process says it got its task', async () => {
    const instance = (await tend.program('room')).instances[0];
    return instance?.statusText === 'task room-42' || undefined;
  });
  const answer = (await (await fetch(`http://127.0.0.1:${base}/`)).json()) as {
    task: string;
    owner: string;
    pid: number;
  };
  assert.deepEqual([answer.task, answer.owner, answer.pid], ['room-42', 'alice smith', task.pid]);

  // The buffer is refilled: a second instance is started and ready, idle.
  await waitFor(tend, 'one idle ready instance besides the task', async () => {
    const program = await tend.program('room');
    return (program.instances.length === 2 && idleReady(program) === 1) || undefined;
  });

  const listed = await tend.ok(['tasks', 'room']);
  assert.match(listed, /room\s+0\s+room-42\s+alice smith\s+\S+\s+0/);
  assert.match(await tend.ok(['ls']), /TASK\s+OWNER[\s\S]*room-42/);
  assert.match(await tend.ok(['status', 'room']), /tasks\s+1 live; ready buffer 1/);

  // A live task's id is not given twice.
  const twice = await tend.api<{ error: { code: string } }>('POST', '/v1/programs/room/tasks', {
    id: 'room-42',
  });
  assert.equal(twice.status, 409);
  assert.equal(twice.body.error.code, 'TEND_ERR_TASK_ID_TAKEN');

  // tend close stops the task's process (a fresh one takes its slot) and the fleet shrinks back.
  const closed = await tend.ok(['close', 'room', 'room-42']);
  assert.match(closed, /Closed task room-42 of room: instance 0/);
  await waitFor(
    tend,
    'the closed task is gone, its process replaced, one idle instance',
    async () => {
      const program = await tend.program('room');
      const first = program.instances[0];
      return (
        (program.tasks?.length === 0 &&
          first?.pid !== task.pid &&
          first?.status === 'online' &&
          program.instances.length === 1) ||
        undefined
      );
    },
  );
  const again = await tend.run(['close', 'room', 'room-42']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no live task `room-42`/);

  // A task whose process exits ends with it; the next task gets a fresh process.
  const second = (await tend.api<TaskReply>('POST', '/v1/programs/room/tasks', { owner: 'bob' }))
    .body;
  assert.match(second.id, /^t[a-z0-9]+$/);
  process.kill(second.pid, 'SIGKILL');
  await waitFor(tend, 'the task of the killed process ended', async () => {
    const program = await tend.program('room');
    return program.tasks?.length === 0 || undefined;
  });
  const events = await taskEvents(tend);
  assert.deepEqual(
    events.map((event) =>
      `${event.kind} ${'task' in event ? event.task : ''} ${'end' in event ? event.end : ''}`.trim(),
    ),
    [
      'task.allocated room-42',
      'task.ended room-42 closed',
      `task.allocated ${second.id}`,
      `task.ended ${second.id} exited`,
    ],
  );
  const third = (await tend.api<TaskReply>('POST', '/v1/programs/room/tasks', { owner: 'carol' }))
    .body;
  assert.notEqual(third.pid, second.pid);
  assert.notEqual(third.pid, task.pid);
});

test('a task process that says SHUTDOWN=1 ends its task; bad task input is refused and changes nothing', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(2);
  await tend.ok([
    'start',
    '--name',
    'room',
    '--tasks',
    '--max',
    '2',
    '--port',
    String(base),
    '--',
    ...fixture('task-room'),
  ]);
  await tend.ok(['start', '--name', 'plain', '--', ...fixture('forever')]);
  const task = (await tend.api<TaskReply>('POST', '/v1/programs/room/tasks', {})).body;
  await fetch(`http://127.0.0.1:${task.port}/shutdown`);
  await waitFor(tend, 'the task ended on its own word', async () => {
    const program = await tend.program('room');
    return (
      (program.tasks?.length === 0 && program.instances[task.instance]?.pid !== task.pid) ||
      undefined
    );
  });

  // An idle instance may take a task by itself (Agones' SDK.Allocate).
  const idle = await waitFor(tend, 'an idle ready instance', async () => {
    const program = await tend.program('room');
    return program.instances.find(
      (instance) => instance.status === 'online' && instance.pid !== task.pid,
    );
  });
  await fetch(`http://127.0.0.1:${idle.port}/allocated`);
  const self = await waitFor(tend, 'the instance allocated itself', async () => {
    const program = await tend.program('room');
    return program.tasks?.find((live) => live.instance === idle.instance);
  });
  assert.deepEqual([self.pid, self.owner], [idle.pid, null]);

  const notTasks = await tend.run(['tasks', 'plain']);
  assert.equal(notTasks.code, 1);
  assert.match(notTasks.stderr, /`plain` is not a task program/);
  const badId = await tend.api<{ error: { code: string } }>('POST', '/v1/programs/room/tasks', {
    id: '../etc',
  });
  assert.equal(badId.status, 400);
  assert.equal(badId.body.error.code, 'TEND_ERR_TASK_ID_INVALID');
  const longId = await tend.api('DELETE', `/v1/programs/room/tasks/${'x'.repeat(100)}`);
  assert.equal(longId.status, 400);
  const noPort = await tend.run(['start', '--name', 'np', '--tasks', '--', ...fixture('forever')]);
  assert.equal(noPort.code, 2, noPort.stderr);
  assert.match(noPort.stderr, /Expected a base `port` with `tasks`/);
  const orphan = await tend.run(['start', '--grace', '5s', '--', ...fixture('forever')]);
  assert.equal(orphan.code, 2);
  assert.match(orphan.stderr, /Expected --tasks with --grace/);
  const programs = (await tend.list()).map((row) => row.name);
  assert.deepEqual([...new Set(programs)].sort(), ['plain', 'room']);
});

test('tasks survive tend daemon reload with their processes, and the process gets its next task over the same FIFO', async (t) => {
  const tend = useTend(t);
  await startRoom(tend);
  const task = (
    await tend.api<TaskReply>('POST', '/v1/programs/room/tasks', { id: 'kept', owner: 'alice' })
  ).body;
  await waitFor(tend, 'the buffer is refilled', async () => {
    const program = await tend.program('room');
    return (program.instances.length === 2 && idleReady(program) === 1) || undefined;
  });
  const idle = (await tend.program('room')).instances[1];
  assert.ok(idle?.pid);
  // A dispatcher's lease on the idle instance; the buffer is refilled for it too.
  const lease = JSON.parse(
    await tend.ok(['allocate', 'room', '--holder', 'w', '--ttl', '1h', '--json']),
  ) as AllocationReply;
  assert.equal(lease.instance, 1);
  await waitFor(tend, 'the buffer is refilled after the lease', async () => {
    const program = await tend.program('room');
    return (program.instances.length === 3 && idleReady(program) === 2) || undefined;
  });
  const spare = (await tend.program('room')).instances[2];
  assert.ok(spare?.pid);

  await tend.ok(['daemon', 'reload']);
  const leases = await tend.api<AllocationReply[]>('GET', '/v1/programs/room/leases');
  assert.deepEqual(
    leases.body.map((kept) => [kept.lease.id, kept.instance, kept.lease.expiresAt]),
    [[lease.lease.id, 1, lease.lease.expiresAt]],
    'the lease is back, with the same expiry',
  );
  const after = await tend.program('room');
  assert.deepEqual(
    after.tasks?.map((kept) => [kept.id, kept.instance, kept.pid, kept.owner]),
    [['kept', task.instance, task.pid, 'alice']],
    'the task is back with its process',
  );
  assert.equal(after.instances[2]?.pid, spare.pid, 'the idle instance was adopted too');
  await tend.ok(['release', 'room', lease.lease.id, '--holder', 'w']);

  // An adopted idle instance still reads its FIFO: the next task reaches it.
  const next = (await tend.api<TaskReply>('POST', '/v1/programs/room/tasks', { id: 'next' })).body;
  assert.ok(next.pid === spare.pid || next.pid === idle.pid);
  await waitFor(tend, 'the adopted process says it got its task', async () => {
    const instance = (await tend.program('room')).instances[next.instance];
    return instance?.statusText === 'task next' || undefined;
  });
  await tend.ok(['close', 'room', 'kept']);
  await waitFor(tend, 'the task closed after the reload is gone', async () => {
    const program = await tend.program('room');
    return program.tasks?.every((live) => live.id !== 'kept') || undefined;
  });
});

test("a dispatcher's worker that says TASK_STATE=free releases its lease, and is handed out again", async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(1);
  await tend.ok([
    'start',
    '--name',
    'worker',
    '--port',
    String(base),
    '--',
    ...fixture('task-room'),
  ]);
  const lease = JSON.parse(
    await tend.ok(['allocate', 'worker', '--holder', 'a', '--json']),
  ) as AllocationReply;
  await fetch(`http://127.0.0.1:${lease.port}/free`);
  await waitFor(tend, 'the lease ended on the worker word', async () => {
    const leases = await tend.api<AllocationReply[]>('GET', '/v1/programs/worker/leases');
    return leases.body.length === 0 || undefined;
  });
  const again = JSON.parse(await tend.ok(['allocate', 'worker', '--json'])) as AllocationReply;
  assert.equal(again.instance, lease.instance, 'a worker is reused after --free');
  assert.notEqual(again.lease.id, lease.lease.id);
});
