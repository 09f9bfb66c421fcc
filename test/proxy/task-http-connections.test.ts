import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import { WebSocketServer } from 'ws';
import type { ProxyMessage } from '../../src/proxy/control-protocol.js';
import { send } from './harness.js';
import { openWebSocket, startInProcessTaskProxy } from './task-harness.js';

type Report = Extract<ProxyMessage, { type: 'task-connections' }>;

/**
 * A task's instance that serves WebSockets, and HTTP requests it holds until `answerAll()`:
 * a request stays in flight as long as the test wants.
 */
async function startHoldingInstance(t: TestContext) {
  const held: ServerResponse[] = [];
  const arrivals: Array<() => void> = [];
  const server = createServer((_request, response) => {
    held.push(response);
    for (const arrived of arrivals.splice(0)) arrived();
  });
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets.clients) socket.terminate();
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    /** Resolves once `count` requests are held. */
    held: (count: number): Promise<void> =>
      held.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => {
            const check = (): void => {
              if (held.length >= count) resolve();
              else arrivals.push(check);
            };
            arrivals.push(check);
          }),
    answerAll: () => {
      for (const response of held.splice(0)) response.end('done');
    },
  };
}

/** An in-process task proxy for pool "rooms" whose reports to the daemon are kept and awaited. */
async function startProxy(t: TestContext, instancePort: number) {
  const reports: Report[] = [];
  const waiters: Array<() => void> = [];
  const { service, port } = await startInProcessTaskProxy(t, (message) => {
    if (message.type === 'task-connections') reports.push(message);
    for (const waiter of waiters.splice(0)) waiter();
    return true;
  });
  service.setTasks([
    { id: 't1', instance: 0, host: '127.0.0.1', port: instancePort, state: 'ready', owner: 'o1' },
  ]);
  /** Resolves with the first report (from now, or the last one sent) that matches. */
  const report = (count: number, isOwnerConnected: boolean): Promise<Report> => {
    const find = () =>
      reports.at(-1)?.count === count && reports.at(-1)?.isOwnerConnected === isOwnerConnected
        ? reports.at(-1)
        : undefined;
    return new Promise((resolve) => {
      const check = (): void => {
        const found = find();
        if (found) resolve(found);
        else waiters.push(check);
      };
      check();
    });
  };
  return { port, reports, report };
}

test('a plain HTTP request to a task counts as one of its connections while in flight, never as its owner', async (t) => {
  const instance = await startHoldingInstance(t);
  const { port, reports, report } = await startProxy(t, instance.port);

  // `?owner=` on a plain request does not make it the owner.
  const first = send(port, { path: '/rooms/t1/slow?owner=o1' });
  const second = send(port, { path: '/rooms/t1/slow' });
  await instance.held(2);
  await report(2, false);
  instance.answerAll();
  assert.equal((await first).body, 'done');
  assert.equal((await second).body, 'done');
  await report(0, false);
  assert.ok(
    reports.every((each) => !each.isOwnerConnected && each.hasOwnerGivenUp === undefined),
    'no report ever said the owner came, left or gave up',
  );

  // With the owner's WebSocket there, requests add to the count and the owner never leaves.
  const owner = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1?owner=o1`);
  await report(1, true);
  const sinceOwner = reports.length - 1;
  const third = send(port, { path: '/rooms/t1/slow' });
  await instance.held(1);
  await report(2, true);
  instance.answerAll();
  await third;
  await report(1, true);
  assert.ok(
    reports.slice(sinceOwner).every((each) => each.isOwnerConnected),
    'the owner stayed connected throughout',
  );
  const closed = once(owner.socket, 'close');
  owner.socket.close();
  await closed;
  await report(0, false);
});

test('a request whose client goes away stops counting; a refused one never counted', async (t) => {
  const instance = await startHoldingInstance(t);
  const { port, reports, report } = await startProxy(t, instance.port);

  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  client.write('GET /rooms/t1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await instance.held(1);
  await report(1, false);
  client.resetAndDestroy();
  await report(0, false);

  const before = reports.length;
  assert.equal((await send(port, { path: '/rooms/nope/slow' })).status, 404);
  assert.equal((await send(port, { path: '/rooms/t..1' })).status, 400);
  // A request that is counted after them shows that no count for them came first.
  const counted = send(port, { path: '/rooms/t1/slow' });
  await instance.held(1);
  await report(1, false);
  assert.deepEqual(
    reports.slice(before).map((each) => each.count),
    [1],
  );
  instance.answerAll();
  await counted;
});

test('requests one after the other on a kept-alive connection each count once', async (t) => {
  const instance = await startHoldingInstance(t);
  const { port, report } = await startProxy(t, instance.port);
  const client = connect(port, '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  let received = '';
  client.setEncoding('latin1');
  client.on('data', (text: string) => {
    received += text;
  });
  for (let round = 1; round <= 3; round++) {
    client.write('GET /rooms/t1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await instance.held(1);
    await report(1, false);
    instance.answerAll();
    await report(0, false);
  }
  assert.equal(received.match(/HTTP\/1\.1 200/g)?.length, 3);
});
