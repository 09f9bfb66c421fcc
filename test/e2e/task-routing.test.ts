import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import type { ProgramDetail } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { isProcessAlive } from '../helpers/proc.js';
import { openWebSocket, roundTrip } from '../proxy/task-harness.js';
import { fixture, pollUntil, type TendUnderTest, useTend } from './harness.js';

/** Starts the task program "rooms" (ws-echo instances) behind a proxy; resolves with the proxy's port. */
async function startRooms(
  tend: TendUnderTest,
  options: { max: number; readyBuffer: number; extra?: string[] },
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
    ...fixture('ws-echo'),
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
