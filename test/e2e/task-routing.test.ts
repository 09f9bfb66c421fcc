import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type TestContext, test } from 'node:test';
import { WebSocket } from 'ws';
import { ApiClient } from '../../src/api/client.js';
import type { AllocationReply, ProgramDetail, TaskReply } from '../../src/api/wire.js';
import type { TaskEnd } from '../../src/tasks/task-book.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { isProcessAlive } from '../helpers/proc.js';
import { openWebSocket, roundTrip } from '../proxy/task-harness.js';
import { killDaemon } from './daemon-kill.js';
import { fixture, pollUntil, type TendUnderTest, useTend } from './harness.js';

/** Starts the task program "rooms" (ws-echo instances) behind a proxy; resolves with the proxy's port. */
async function startRooms(
  tend: TendUnderTest,
  options: { max: number; readyBuffer: number; extra?: string[]; program?: string },
): Promise<number> {
  const ports = await findFreePortRange(options.max + 1);
  const proxyPort = ports + options.max;
  await tend.ok([
    'start',
    '--name',
    'rooms',
    '--tasks',
    '--ready-buffer',
    String(options.readyBuffer),
    '--max',
    String(options.max),
    '--port',
    String(ports),
    '--proxy-port',
    String(proxyPort),
    ...(options.extra ?? []),
    '--',
    ...fixture(options.program ?? 'ws-echo'),
  ]);
  return proxyPort;
}

type LiveTask = NonNullable<ProgramDetail['tasks']>[number];

async function liveTask(tend: TendUnderTest, id: string): Promise<LiveTask | undefined> {
  return (await tend.program('rooms')).tasks?.find((task) => task.id === id);
}

test('through the real proxy: a client owns a task, a second joins it, the owner leaves and the task ends', async (t) => {
  const tend = useTend(t);
  const port = await startRooms(tend, { max: 4, readyBuffer: 1 });

  const owner = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  assert.match(owner.task ?? '', /^t[a-z0-9]+$/);
  const id = owner.task as string;
  const task = await tend.until('the task is listed with its owner connected', async () => {
    const found = await liveTask(tend, id);
    return (found?.isOwnerConnected === true && found) || undefined;
  });
  const echoed = await roundTrip(owner.socket, 'hello');
  assert.equal(echoed, `${task.port}:hello`, 'the owner reached its task’s instance');

  const guest = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/${id}`);
  assert.equal(await roundTrip(guest.socket, 'me too'), `${task.port}:me too`);
  await tend.until(
    'two connections',
    async () => (await liveTask(tend, id))?.connections === 2 || undefined,
  );
  assert.match(await tend.ok(['tasks', 'rooms']), new RegExp(`${id}\\s`));

  const guestClosed = once(guest.socket, 'close');
  owner.socket.close();
  await tend.until(
    'the task ended',
    async () => (await liveTask(tend, id)) === undefined || undefined,
  );
  await guestClosed;
  await pollUntil('the task’s process to be gone', async () => !isProcessAlive(task.pid as number));
  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/${id}`), {
    status: 404,
    body: {
      error: {
        code: 'TEND_ERR_TASK_NOT_FOUND',
        message: `No task "${id}" in pool "rooms": never allocated, or it has ended`,
      },
    },
  });
});

/**
 * The ends of `rooms`' tasks from now on (with `since`: from that event of the daemon's ring on),
 * by task id, as `task.ended` events say; resolves once the stream is open.
 */
async function watchTaskEnds(
  t: TestContext,
  tend: TendUnderTest,
  since?: number,
): Promise<Map<string, TaskEnd>> {
  const ends = new Map<string, TaskEnd>();
  const abort = new AbortController();
  t.after(() => abort.abort());
  let opened = (): void => {};
  const isOpen = new Promise<void>((resolve) => {
    opened = resolve;
  });
  void new ApiClient({ socketPath: tend.socket })
    .events(
      { program: 'rooms', kind: 'task.ended', ...(since === undefined ? {} : { since }) },
      (message) => {
        if (message.kind === 'stream.open') opened();
        if (message.kind === 'task.ended') ends.set(message.task, message.end);
      },
      abort.signal,
    )
    .catch(() => {});
  await isOpen;
  return ends;
}

test('through the real proxy: tend restart --proxy cuts the owner’s WebSocket, and its task ends as the owner leaving', async (t) => {
  const tend = useTend(t);
  const port = await startRooms(tend, { max: 3, readyBuffer: 1 });
  const owner = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  const id = owner.task as string;
  await tend.until(
    'the owner connected',
    async () => (await liveTask(tend, id))?.isOwnerConnected || undefined,
  );
  const ends = await watchTaskEnds(t, tend);

  const cut = once(owner.socket, 'close');
  await tend.ok(['restart', 'rooms', '--proxy']);
  await cut;
  // Nobody connects to it through the new proxy, which would have said nothing of it.
  const end = await tend.until('its task.ended', async () => ends.get(id));
  assert.equal(end, 'owner-left');
  assert.equal(await liveTask(tend, id), undefined);

  // The new proxy serves: a new owner gets a task, and it is connected.
  const next = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  const nextId = next.task as string;
  assert.notEqual(nextId, id);
  await tend.until(
    'the new owner connected',
    async () => (await liveTask(tend, nextId))?.isOwnerConnected || undefined,
  );

  // A proxy that crashes says nothing as it goes (a stopped one may still tell of the sockets it
  // closes): the daemon learns of its exit, and the task ends all the same.
  const proxyPid = (await tend.program('rooms')).proxy?.pid;
  assert.ok(proxyPid);
  const crashCut = once(next.socket, 'close');
  process.kill(proxyPid, 'SIGKILL');
  await crashCut;
  const crashEnd = await tend.until('its task.ended', async () => ends.get(nextId));
  assert.equal(crashEnd, 'owner-left');
});

test('a proxy that outlives its daemon tells the next one the truth: the task of an owner who left meanwhile ends, one still connected stays until its owner leaves', async (t) => {
  const tend = useTend(t);
  const port = await startRooms(tend, { max: 4, readyBuffer: 1 });
  const leaving = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  const staying = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  const [leavingId, stayingId] = [leaving.task as string, staying.task as string];
  await tend.until('both owners connected', async () => {
    const tasks = (await tend.program('rooms')).tasks ?? [];
    return tasks.filter((task) => task.isOwnerConnected).length === 2 || undefined;
  });
  // No process starting as the daemon dies: the buffer's third instance is up.
  await tend.until(
    'three instances online',
    async () =>
      (await tend.program('rooms')).instances.filter((each) => each.status === 'online').length ===
        3 || undefined,
  );
  const proxyPid = (await tend.program('rooms')).proxy?.pid;

  // The owner leaves as the daemon dies: before its watcher's new daemon is back, or just after.
  const killed = killDaemon(tend);
  leaving.socket.close();
  await killed;
  const ends = await watchTaskEnds(t, tend, 0);
  assert.equal((await tend.program('rooms')).proxy?.pid, proxyPid, 'the proxy was adopted');
  assert.equal(await tend.until('its task.ended', async () => ends.get(leavingId)), 'owner-left');
  const kept = await tend.until(
    'the other owner known as connected',
    async () => (await liveTask(tend, stayingId))?.isOwnerConnected || undefined,
  );
  assert.equal(kept, true);
  assert.equal(
    await roundTrip(staying.socket, 'still here'),
    `${(await liveTask(tend, stayingId))?.port}:still here`,
  );

  staying.socket.close();
  assert.equal(await tend.until('its task.ended', async () => ends.get(stayingId)), 'owner-left');
});

test('through the real proxy: concurrent /new get distinct tasks on distinct instances', async (t) => {
  const tend = useTend(t);
  const port = await startRooms(tend, { max: 8, readyBuffer: 2 });

  const opened = await Promise.all(
    Array.from({ length: 6 }, () => openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`)),
  );
  const ids = opened.map((each) => each.task);
  assert.equal(new Set(ids).size, 6, 'six distinct task ids');
  const answers = await Promise.all(opened.map((each) => roundTrip(each.socket, 'who')));
  const instancePorts = answers.map((answer) => answer.split(':')[0]);
  assert.equal(new Set(instancePorts).size, 6, 'six distinct instances');
  const program = await tend.program('rooms');
  for (const [index, id] of ids.entries()) {
    const task = program.tasks?.find((each) => each.id === id);
    assert.equal(String(task?.port), instancePorts[index]);
  }
});

test('heartbeat pairs: 50 clients each create their task through the proxy and get every pong', async (t) => {
  const pairs = 50;
  const pings = 5;
  const tend = useTend(t);
  // The whole fleet is ready before the clients come, so that the test is about the proxy's path
  // and not about how fast a loaded machine starts 50 processes.
  const port = await startRooms(tend, { max: pairs, readyBuffer: pairs, extra: ['--no-wait'] });
  await tend.until(
    `${pairs} ready instances`,
    async () =>
      (await tend.program('rooms')).instances.filter((each) => each.status === 'online').length ===
        pairs || undefined,
    300_000,
  );

  const pongCounts = await Promise.all(
    Array.from({ length: pairs }, async () => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/rooms/new`);
      t.after(() => socket.terminate());
      await once(socket, 'open');
      let pongs = 0;
      for (let ping = 0; ping < pings; ping++) {
        const reply = await roundTrip(socket, `ping ${ping}`);
        if (reply.endsWith(`:ping ${ping}`)) pongs++;
      }
      socket.close();
      return pongs;
    }),
  );
  assert.deepEqual(pongCounts, Array(pairs).fill(pings));
});

/** A request to the proxy port: the status and the JSON body. */
async function onProxy<T>(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers });
  return { status: response.status, body: (await response.json()) as T };
}

type ErrorBody = { error: { code: string; message: string } };

test('through the real proxy: a client without the daemon’s socket leases, renews and releases on the proxy port; a second release, another holder and another pool’s lease are refused and change nothing', async (t) => {
  const tend = useTend(t);
  const token = 'lab-token-0123456789';
  const port = await startRooms(tend, {
    max: 3,
    readyBuffer: 1,
    extra: ['--allocate-token', token],
  });
  const bearer = { authorization: `Bearer ${token}` };
  const granted = await onProxy<AllocationReply>(
    port,
    'POST',
    '/rooms/allocate?holder=lab-7&ttlMs=60000',
    bearer,
  );
  assert.equal(granted.status, 200, JSON.stringify(granted.body));
  const leaseId = granted.body.lease.id;
  const held = async () =>
    (await tend.api<AllocationReply[]>('GET', '/v1/programs/rooms/leases')).body.map(
      (lease) => `${lease.lease.id}:${lease.lease.expiresAt}`,
    );

  const renewed = await onProxy<AllocationReply>(
    port,
    'POST',
    `/rooms/leases/${leaseId}/renew?holder=lab-7&ttlMs=600000`,
    bearer,
  );
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  assert.ok(
    Date.parse(renewed.body.lease.expiresAt ?? '') >
      Date.parse(granted.body.lease.expiresAt ?? '') + 500_000,
    'renewed for ten minutes from now',
  );
  assert.deepEqual(await held(), [`${leaseId}:${renewed.body.lease.expiresAt}`]);

  const unauthorized = await onProxy<ErrorBody>(
    port,
    'POST',
    `/rooms/leases/${leaseId}/release?holder=lab-7`,
  );
  assert.equal(unauthorized.status, 401);
  const stolen = await onProxy<ErrorBody>(
    port,
    'POST',
    `/rooms/leases/${leaseId}/release?holder=mallory`,
    bearer,
  );
  assert.equal(stolen.status, 409);
  assert.equal(stolen.body.error.code, 'TEND_ERR_LEASE_NOT_YOURS');
  assert.deepEqual(await held(), [`${leaseId}:${renewed.body.lease.expiresAt}`], 'unchanged');

  // Another pool's lease is unknown here, and stays held there.
  const base = await findFreePortRange(1);
  await tend.ok([
    'start',
    '--name',
    'workers',
    '--port',
    String(base),
    '--',
    ...fixture('http-echo'),
  ]);
  const other = JSON.parse(
    await tend.ok(['allocate', 'workers', '--holder', 'lab-7', '--json']),
  ) as AllocationReply;
  const foreign = await onProxy<ErrorBody>(
    port,
    'POST',
    `/rooms/leases/${other.lease.id}/release?holder=lab-7`,
    bearer,
  );
  assert.equal(foreign.status, 404);
  assert.equal(foreign.body.error.code, 'TEND_ERR_LEASE_NOT_FOUND');
  assert.match(foreign.body.error.message, /of `rooms`/);
  const workersLeases = await tend.api<AllocationReply[]>('GET', '/v1/programs/workers/leases');
  assert.deepEqual(
    workersLeases.body.map((lease) => lease.lease.id),
    [other.lease.id],
  );

  const released = await onProxy<AllocationReply>(
    port,
    'POST',
    `/rooms/leases/${leaseId}/release?holder=lab-7&token=${token}`,
  );
  assert.equal(released.status, 200);
  assert.equal(released.body.lease.id, leaseId);
  assert.deepEqual(await held(), []);
  const twice = await onProxy<ErrorBody>(
    port,
    'POST',
    `/rooms/leases/${leaseId}/release?holder=lab-7`,
    bearer,
  );
  assert.equal(twice.status, 404);
  assert.equal(twice.body.error.code, 'TEND_ERR_LEASE_NOT_FOUND');
});

test('through the real proxy: HTTP requests in flight count as the task’s connections, do not end an owner-leaves task, and its end is not a restart', async (t) => {
  const tend = useTend(t);
  const port = await startRooms(tend, { max: 3, readyBuffer: 1, program: 'task-room' });
  // Allocated through the API for an owner that never connects: only its HTTP traffic comes.
  const allocated = await tend.api<TaskReply>('POST', '/v1/programs/rooms/tasks', {
    owner: 'alice',
  });
  assert.equal(allocated.status, 200, JSON.stringify(allocated.body));
  const task = allocated.body;

  const holding = [1, 2].map(() => fetch(`http://127.0.0.1:${port}/rooms/${task.id}/hold`));
  await tend.until(
    'two requests in flight',
    async () => (await liveTask(tend, task.id))?.connections === 2 || undefined,
  );
  const letGo = await fetch(`http://127.0.0.1:${port}/rooms/${task.id}/let-go`);
  assert.equal(letGo.status, 200);
  for (const held of await Promise.all(holding)) assert.equal(await held.text(), 'let go');
  await tend.until(
    'no request in flight',
    async () => (await liveTask(tend, task.id))?.connections === 0 || undefined,
  );
  const live = await liveTask(tend, task.id);
  assert.equal(live?.isOwnerConnected, false);
  assert.equal(live?.pid, task.pid, 'the task lives on, in its process');

  await tend.ok(['close', 'rooms', task.id]);
  const instance = await tend.until('a fresh process in the task’s slot', async () => {
    const slot = (await tend.program('rooms')).instances[task.instance];
    return (slot?.status === 'online' && slot.pid !== task.pid && slot) || undefined;
  });
  assert.equal(instance.restarts, 0, 'the end of a task is not a restart');
  assert.match(
    await tend.ok(['status', 'rooms']),
    new RegExp(`task ended \\(${task.id}, closed\\)`),
  );
  assert.match(
    await tend.ok(['ls']),
    new RegExp(`rooms\\s+${task.instance}\\s+${instance.pid}\\s+online\\s+0\\s`),
  );
});
