import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { members, startProxy } from './harness.js';

/** A WebSocket server that echoes each message, prefixed with its name. */
async function startEchoServer(t: { after(fn: () => unknown): void }, name: string) {
  const server = createServer((_req, res) => res.end(`${name} over http`));
  const wss = new WebSocketServer({ server });
  const forwardedFor: (string | undefined)[] = [];
  wss.on('connection', (socket, req) => {
    forwardedFor.push(req.headers['x-forwarded-for'] as string | undefined);
    socket.on('message', (data) => socket.send(`${name}: ${data.toString()}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, forwardedFor };
}

async function openSocket(t: { after(fn: () => unknown): void }, port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/chat`);
  t.after(() => socket.terminate());
  await once(socket, 'open');
  return socket;
}

async function echo(socket: WebSocket, text: string): Promise<string> {
  const reply = once(socket, 'message');
  socket.send(text);
  const [data] = await reply;
  return (data as Buffer).toString();
}

test('a WebSocket upgrade passes through and messages flow both ways', async (t) => {
  const upstream = await startEchoServer(t, 'a');
  const { port } = await startProxy(t, {}, members([upstream.port, true]));

  const socket = await openSocket(t, port);

  assert.equal(await echo(socket, 'hello'), 'a: hello');
  assert.equal(await echo(socket, 'x'.repeat(200_000)), `a: ${'x'.repeat(200_000)}`);
  assert.equal(upstream.forwardedFor[0], '127.0.0.1');
});

test('WebSocket connections are balanced like requests', async (t) => {
  const a = await startEchoServer(t, 'a');
  const b = await startEchoServer(t, 'b');
  const { port, service } = await startProxy(t, {}, members([a.port, true], [b.port, true]));

  const first = await openSocket(t, port);
  const second = await openSocket(t, port);

  assert.equal(await echo(first, 'one'), 'a: one');
  assert.equal(await echo(second, 'two'), 'b: two');
  assert.deepEqual(
    service.stats().map((stats) => stats.outstanding),
    [1, 1],
    'an open tunnel counts as outstanding on its instance',
  );
  const closed = once(first, 'close');
  first.close();
  await closed;
});

test('a WebSocket upgrade fails over when the first instance refuses', async (t) => {
  const { refusedPort } = await import('./harness.js');
  const dead = await refusedPort();
  const live = await startEchoServer(t, 'live');
  const { port } = await startProxy(t, {}, members([dead, true], [live.port, true]));

  const socket = await openSocket(t, port);

  assert.equal(await echo(socket, 'ping'), 'live: ping');
});
