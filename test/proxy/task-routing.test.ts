import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { ProxyMessage } from '../../src/proxy/control-protocol.js';
import { send, startUpstream, until } from './harness.js';
import {
  fakeLeaseId,
  openFds,
  openWebSocket,
  roundTrip,
  startInProcessTaskProxy,
  startTaskInstances,
  startTaskProxy,
} from './task-harness.js';

test('a WebSocket client allocates its task on /new, a second joins by id, the task ends when its owner leaves', async (t) => {
  const { port, daemon, ports } = await startTaskProxy(t, { instances: 2 });

  const owner = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  assert.equal(owner.task, 't1', 'the 101 names the task');
  const [request] = daemon.sent('allocate-task');
  assert.equal(request?.id, null);
  assert.match(request?.owner ?? '', /^o[a-z0-9]{14}$/);
  assert.equal(owner.owner, request?.owner, 'the 101 gives the owner its owner id');
  const instancePort = daemon.tasks.get('t1')?.port;
  assert.equal(await roundTrip(owner.socket, 'hi'), `${instancePort}:hi`);
  await daemon.until(() => daemon.connections('t1')?.count === 1);
  assert.deepEqual(daemon.connections('t1'), {
    type: 'task-connections',
    id: 't1',
    count: 1,
    isOwnerConnected: true,
  });

  const guest = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1`);
  assert.equal(guest.task, 't1');
  assert.equal(guest.owner, undefined, 'only the owner learns the owner id');
  assert.equal(await roundTrip(guest.socket, 'me too'), `${instancePort}:me too`);
  await daemon.until(() => daemon.connections('t1')?.count === 2);
  assert.equal(daemon.connections('t1')?.isOwnerConnected, true);

  // Another /new gets the other instance: tasks are never shared by allocation.
  const other = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  assert.equal(other.task, 't2');
  const otherPort = daemon.tasks.get('t2')?.port;
  assert.notEqual(otherPort, instancePort);
  assert.deepEqual(new Set(ports), new Set([instancePort, otherPort]));

  // The owner leaves: the proxy tells the daemon, the (fake) daemon ends the task, the proxy
  // closes the guest's connection and refuses the id from then on; the other task is untouched.
  const guestClosed = once(guest.socket, 'close');
  owner.socket.close();
  await daemon.until(() => daemon.connections('t1')?.isOwnerConnected === false);
  await guestClosed;
  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1`), {
    status: 404,
    body: {
      error: {
        code: 'TEND_ERR_TASK_NOT_FOUND',
        message: 'No task "t1" in pool "rooms": never allocated, or it has ended',
      },
    },
  });
  assert.equal(await roundTrip(other.socket, 'still here'), `${otherPort}:still here`);
});

test('?id= asks for an id; a taken one is refused with the daemon’s 409 before the upgrade', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 2 });

  const first = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new?id=room-42`);
  assert.equal(first.task, 'room-42');
  assert.equal(daemon.sent('allocate-task')[0]?.id, 'room-42');
  assert.equal(
    await roundTrip(first.socket, '?url'),
    `${daemon.tasks.get('room-42')?.port}:url:/?id=room-42`,
  );

  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new?id=room-42`), {
    status: 409,
    body: { error: { code: 'TEND_ERR_TASK_EXISTS', message: 'Task "room-42" exists' } },
  });
});

test('POST /new answers the task and an owner id; the owner connects with ?owner=, HTTP reaches the task under its prefix', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 });

  const created = await send(port, { method: 'POST', path: '/rooms/new' });
  assert.equal(created.status, 201);
  const body = JSON.parse(created.body) as { id: string; owner: string; state: string };
  assert.equal(body.id, 't1');
  assert.equal(body.state, 'ready');
  assert.equal(body.owner, daemon.sent('allocate-task')[0]?.owner);
  assert.equal(created.headers['x-tend-task'], 't1');

  const response = await send(port, { path: '/rooms/t1/scores/top?n=3' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['x-tend-task'], 't1');
  assert.deepEqual(JSON.parse(response.body), {
    port: daemon.tasks.get('t1')?.port,
    method: 'GET',
    url: '/scores/top?n=3',
  });
  assert.equal(JSON.parse((await send(port, { path: '/rooms/t1' })).body).url, '/');

  const joined = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1?owner=${body.owner}`);
  await daemon.until(() => daemon.connections('t1')?.isOwnerConnected === true);
  assert.equal(
    await roundTrip(joined.socket, '?url'),
    `${daemon.tasks.get('t1')?.port}:url:/`,
    'tend’s own parameters are not passed on',
  );
});

test('an owner that POSTs /new and never connects is reported gone after connectWaitMs', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 }, { connectWaitMs: 50 });

  const created = await send(port, { method: 'POST', path: '/rooms/new' });
  assert.equal(created.status, 201);
  await daemon.until(() => daemon.connections('t1') !== undefined);
  assert.deepEqual(daemon.connections('t1'), {
    type: 'task-connections',
    id: 't1',
    count: 0,
    isOwnerConnected: false,
    hasOwnerGivenUp: true,
  });
});

test('a client of a task still starting waits for it to be ready', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1, initialState: 'starting' });

  const opening = openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  await daemon.until(() => daemon.connections('t1')?.count === 1);
  assert.equal(daemon.tasks.get('t1')?.state, 'starting');
  daemon.makeReady('t1');
  const { socket, task } = await opening;
  assert.equal(task, 't1');
  assert.equal(await roundTrip(socket, 'ready?'), `${daemon.tasks.get('t1')?.port}:ready?`);
});

test('a task that is not ready within connectWaitMs gets 503, and the owner counts as gone', async (t) => {
  const { port, daemon } = await startTaskProxy(
    t,
    { instances: 1, initialState: 'starting' },
    { connectWaitMs: 50 },
  );

  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`), {
    status: 503,
    body: {
      error: {
        code: 'TEND_ERR_TASK_NOT_READY',
        message: 'Task "t1" of pool "rooms" was not ready within 50ms',
      },
    },
  });
  await daemon.until(() => daemon.connections('t1')?.isOwnerConnected === false);
});

test('with an allocate token only clients presenting it allocate; joining needs the task id only', async (t) => {
  const token = 'a-token-of-at-least-16';
  const { port, daemon } = await startTaskProxy(t, { instances: 1 }, { allocateToken: token });
  const refusal = {
    status: 401,
    body: {
      error: {
        code: 'TEND_ERR_API_UNAUTHORIZED',
        message:
          'Expected the pool\'s allocate token (`Authorization: Bearer <token>` or `?token=`) to allocate on pool "rooms"',
      },
    },
  };

  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`), refusal);
  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new?token=wrong`), refusal);
  await assert.rejects(
    openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`, {
      authorization: `Bearer ${token}x`,
    }),
    refusal,
  );
  const denied = await send(port, { method: 'POST', path: '/rooms/allocate' });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers['www-authenticate'], 'Bearer');
  assert.equal(daemon.sent('allocate-task').length, 0, 'nothing was allocated');
  assert.equal(daemon.sent('allocate-lease').length, 0);

  const owner = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new?token=${token}`);
  assert.equal(
    await roundTrip(owner.socket, '?url'),
    `${daemon.tasks.get('t1')?.port}:url:/`,
    'the token is not passed on to the task',
  );
  const guest = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1`);
  assert.equal(guest.task, 't1');
  daemon.end('t1');
  await assert.rejects(
    openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`, { authorization: `Bearer ${token}` }),
    { status: 503 },
    'the bearer header is accepted (and the only instance is taken)',
  );
});

test('POST /<pool>/allocate leases a free worker through the proxy port', async (t) => {
  const { port, daemon, ports } = await startTaskProxy(t, { instances: 1 });

  const response = await send(port, {
    method: 'POST',
    path: '/rooms/allocate?holder=lab-7&ttlMs=30000&timeoutMs=500',
  });
  assert.equal(response.status, 200);
  const [request] = daemon.sent('allocate-lease');
  assert.deepEqual(JSON.parse(response.body), {
    program: 'rooms',
    instance: 0,
    host: '127.0.0.1',
    port: ports[0],
    lease: { id: fakeLeaseId(request?.requestId ?? ''), holder: 'lab-7' },
  });
  assert.deepEqual(
    { holder: request?.holder, ttlMs: request?.ttlMs, timeoutMs: request?.timeoutMs },
    { holder: 'lab-7', ttlMs: 30_000, timeoutMs: 500 },
  );

  const bad = await send(port, { method: 'POST', path: '/rooms/allocate?ttlMs=soon' });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'TEND_ERR_API_INVALID_BODY');
  assert.match(JSON.parse(bad.body).error.message, /ttlMs/);
  const wrongMethod = await send(port, { path: '/rooms/allocate' });
  assert.equal(wrongMethod.status, 404);
  assert.equal(daemon.sent('allocate-lease').length, 1);
});

test('a lease granted after its client left is released by the proxy, not left held', async (t) => {
  const { pid, port, daemon } = await startTaskProxy(t, { instances: 1, holdLeases: true });
  const baseline = openFds(pid);
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  client.write(
    'POST /rooms/allocate?holder=lab-7 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
  );
  await daemon.until(() => daemon.sent('allocate-lease').length === 1);
  // Gone, not half-closed: a client that only ends its side may still read the answer.
  client.resetAndDestroy();
  // The proxy has closed its side once its descriptors are back to what they were.
  await until(() => openFds(pid) === baseline, 10_000);
  daemon.grantHeldLeases();
  await daemon.until(() => daemon.sent('release-lease').length === 1);
  const [request] = daemon.sent('allocate-lease');
  assert.deepEqual(daemon.sent('release-lease'), [
    { type: 'release-lease', leaseId: fakeLeaseId(request?.requestId ?? ''), holder: 'lab-7' },
  ]);
});

test('paths outside /<pool>/ get a 404 that names the routes', async (t) => {
  const { port } = await startTaskProxy(t, { instances: 1 });

  const response = await send(port, { path: '/index.html' });
  assert.equal(response.status, 404);
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepEqual(JSON.parse(response.body), {
    error: {
      code: 'TEND_ERR_API_ROUTE_NOT_FOUND',
      message:
        'Expected /rooms/new, /rooms/<task id>[/path], POST /rooms/allocate or POST /rooms/leases/<lease>/release|renew on the proxy of task program "rooms", got GET /index.html',
    },
  });
});

test('a request body sent to a task still starting is held, then delivered whole once it is ready', async (t) => {
  const upstream = await startUpstream(t, (_req, res, body) => res.end(`got ${body.length}`));
  const { service, port } = await startInProcessTaskProxy(t);
  const task = { id: 't1', instance: 0, host: '127.0.0.1', port: upstream.port, owner: 'o1' };
  service.setTasks([{ ...task, state: 'starting' }]);

  const body = Buffer.alloc(300_000, 'b');
  const posted = send(port, { method: 'POST', path: '/rooms/t1/upload', body });
  await until(() => service.tasks.table.get('t1')?.readyWaiters.size === 1);
  assert.equal(upstream.received.length, 0, 'held while the task starts');
  service.setTasks([{ ...task, state: 'ready' }]);
  const response = await posted;
  assert.equal(response.body, 'got 300000');
  assert.equal(response.headers['x-tend-task'], 't1');
  assert.equal(upstream.received[0]?.url, '/upload');
  assert.deepEqual(upstream.received[0]?.body, body);
});

test('a task the table already reports ready is not taken back to starting by a later allocation answer', async (t) => {
  const [instancePort] = await startTaskInstances(t, 1);
  const requests: ProxyMessage[] = [];
  const { service, port } = await startInProcessTaskProxy(
    t,
    (message) => {
      requests.push(message);
      return true;
    },
    { connectWaitMs: 60_000 },
  );
  const opening = openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  await until(() => requests.length === 1);
  const request = requests[0] as Extract<ProxyMessage, { type: 'allocate-task' }>;
  const task = {
    id: 't1',
    instance: 0,
    host: '127.0.0.1',
    port: instancePort as number,
    owner: request.owner,
  };
  service.setTasks([{ ...task, state: 'ready' }]);
  service.answerAllocation({
    type: 'task-allocated',
    requestId: request.requestId,
    task: { ...task, state: 'starting' },
  });
  const { socket } = await opening;
  assert.equal(await roundTrip(socket, 'now'), `${instancePort}:now`);
});

test('tasks-changed adds and updates tasks and ends those it names: their clients are closed, their ids refused', async (t) => {
  const [instancePort] = await startTaskInstances(t, 1);
  const { service, port } = await startInProcessTaskProxy(t);
  const task = (id: string, state: 'starting' | 'ready') => ({
    id,
    instance: 0,
    host: '127.0.0.1',
    port: instancePort as number,
    state,
    owner: null,
  });
  service.setTasks([task('t1', 'ready')]);
  service.changeTasks([task('t2', 'starting')], []);
  const waiting = openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t2`);
  await until(() => service.tasks.table.get('t2')?.readyWaiters.size === 1);
  service.changeTasks([task('t2', 'ready')], []);
  const joined = await waiting;
  assert.equal(await roundTrip(joined.socket, 'hi'), `${instancePort}:hi`);
  const guest = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1`);

  const closed = once(guest.socket, 'close');
  service.changeTasks([], ['t1', 'never-known']);
  await closed;
  await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1`), { status: 404 });
  assert.equal(await roundTrip(joined.socket, 'still'), `${instancePort}:still`, 't2 untouched');
});
