import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { ConfigureMessageSchema } from '../../src/proxy/control-protocol.js';
import { ProxyService } from '../../src/proxy/proxy-service.js';
import { send, until } from './harness.js';
import { openFds, openWebSocket, roundTrip, startTaskProxy } from './task-harness.js';

/** Writes `text` on a fresh connection and resolves with everything the proxy sent until it closed. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.write(text);
  await once(socket, 'close');
  return received;
}

/** A WebSocket upgrade request for `path` with the given handshake headers. */
function upgradeRequest(path: string, headers: Record<string, string>): string {
  const lines = Object.entries({
    host: 'localhost',
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
    ...headers,
  })
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${value}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

function errorOf(response: string): { status: number; code: string; message: string } {
  const status = Number(response.slice(9, 12));
  const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
    error: { code: string; message: string };
  };
  return { status, ...body.error };
}

test('a WebSocket upgrade with a malformed key, version or upgrade gets 400 before anything is allocated', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 });

  const cases: [Record<string, string>, RegExp][] = [
    [
      { 'sec-websocket-key': 'short' },
      /Expected a Sec-WebSocket-Key of 16 bytes in base64 .*"short"/,
    ],
    [{ 'sec-websocket-key': '' }, /Sec-WebSocket-Key .* got none/],
    [{ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ=!' }, /Sec-WebSocket-Key/],
    [{ 'sec-websocket-version': '8' }, /Expected Sec-WebSocket-Version 13, got "8"/],
    [{ 'sec-websocket-version': '' }, /Expected Sec-WebSocket-Version 13, got none/],
    [{ upgrade: 'h2c' }, /Expected `Upgrade: websocket`, got "h2c"/],
  ];
  for (const path of ['/rooms/new', '/rooms/t1']) {
    for (const [headers, message] of cases) {
      const response = await rawExchange(port, upgradeRequest(path, headers));
      const error = errorOf(response);
      assert.equal(error.status, 400, `${path} ${JSON.stringify(headers)}`);
      assert.equal(error.code, 'TEND_ERR_PROXY_BAD_HANDSHAKE');
      assert.match(error.message, message);
      assert.match(response, /\r\nsec-websocket-version: 13\r\n/);
    }
  }
  assert.equal(daemon.sent('allocate-task').length, 0);
  const good = connect(port, '127.0.0.1');
  t.after(() => good.destroy());
  good.write(upgradeRequest('/rooms/new', {}));
  const [head] = (await once(good, 'data')) as [Buffer];
  assert.match(
    head.toString('latin1'),
    /^HTTP\/1\.1 101 /,
    'the same request with a valid handshake is served',
  );
});

test('an id with `/`, `..`, `%` or 10 KB of characters is refused with 400 or 404, and nothing is allocated', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 });

  const invalid: [string, RegExp][] = [
    ['/rooms/..', /got "\.\."/],
    ['/rooms/../rooms/new', /got "\.\."/],
    ['/rooms/a%2Fb', /got "a%2Fb"/],
    ['/rooms/.hidden/x', /got "\.hidden"/],
    [`/rooms/${'x'.repeat(10_240)}`, /at most 64 characters, got 10240/],
    ['/rooms/new?id=a/b', /got "a\/b"/],
    ['/rooms/new?id=..', /got "\.\."/],
    [`/rooms/new?id=${'y'.repeat(10_000)}`, /at most 64 characters, got 10000/],
    ['/rooms/new?id=new', /Expected a task id other than "new"/],
    ['/rooms/new?id=', /Expected a task id, got an empty one/],
  ];
  for (const [path, message] of invalid) {
    const response = errorOf(await rawExchange(port, upgradeRequest(path, {})));
    assert.equal(response.status, 400, path.slice(0, 40));
    assert.equal(response.code, 'TEND_ERR_TASK_ID_INVALID');
    assert.match(response.message, message);
  }
  // `/` inside an id cannot be told from a path under a task: the id is the first segment.
  const unknown = errorOf(await rawExchange(port, upgradeRequest('/rooms/a/b', {})));
  assert.deepEqual(unknown, {
    status: 404,
    code: 'TEND_ERR_TASK_NOT_FOUND',
    message: 'No task "a" in pool "rooms": never allocated, or it has ended',
  });
  const http = await send(port, { path: '/rooms/..%2f..%2fetc' });
  assert.equal(http.status, 400);
  assert.equal(daemon.sent('allocate-task').length, 0);
});

test('a flood of /new past the pool’s max: each gets 503 after the wait, nothing leaks, other tasks untouched', async (t) => {
  const { pid, port, daemon } = await startTaskProxy(t, { instances: 2, refuseAfterMs: 100 });
  const first = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  const second = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  await daemon.until(() => daemon.connections('t2')?.count === 1);
  const baseline = openFds(pid);

  const flood = await Promise.allSettled(
    Array.from({ length: 40 }, () => openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`)),
  );
  for (const outcome of flood) {
    assert.equal(outcome.status, 'rejected');
    assert.deepEqual(
      (outcome as PromiseRejectedResult).reason.body.error.code,
      'TEND_ERR_ALLOCATION_TIMEOUT',
    );
    assert.equal((outcome as PromiseRejectedResult).reason.status, 503);
  }
  assert.equal(daemon.sent('allocate-task').length, 42);
  await until(() => openFds(pid) === baseline, 10_000);
  assert.equal(daemon.tasks.size, 2);
  assert.equal(await roundTrip(first.socket, 'a'), `${daemon.tasks.get('t1')?.port}:a`);
  assert.equal(await roundTrip(second.socket, 'b'), `${daemon.tasks.get('t2')?.port}:b`);
  assert.deepEqual(daemon.connections('t1'), {
    type: 'task-connections',
    id: 't1',
    count: 1,
    isOwnerConnected: true,
  });
});

test('joining, leaving and refused joins leave the proxy’s descriptors as they were', async (t) => {
  const { pid, port, daemon } = await startTaskProxy(t, { instances: 1 });
  const owner = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/new`);
  await daemon.until(() => daemon.connections('t1')?.count === 1);
  const baseline = openFds(pid);

  for (let round = 0; round < 10; round++) {
    const guest = await openWebSocket(t, `ws://127.0.0.1:${port}/rooms/t1`);
    const closed = once(guest.socket, 'close');
    guest.socket.close();
    await closed;
    await assert.rejects(openWebSocket(t, `ws://127.0.0.1:${port}/rooms/nope`), { status: 404 });
  }
  await until(() => openFds(pid) === baseline, 10_000);
  await daemon.until(() => daemon.connections('t1')?.count === 1);
  assert.equal(await roundTrip(owner.socket, 'x'), `${daemon.tasks.get('t1')?.port}:x`);
});

/** An in-process task proxy with no daemon connected, and a short idle timeout. */
async function startLonelyProxy(
  t: { after(fn: () => unknown): void },
  clientTimeouts: { idleMs?: number; headMs?: number },
) {
  const service = new ProxyService(
    () => {},
    {},
    () => {},
    { clientTimeouts },
  );
  t.after(() => service.close(0));
  const address = await service.configure(
    ConfigureMessageSchema.parse({
      type: 'configure',
      pool: 'rooms',
      listen: { host: '127.0.0.1', port: 0 },
      tasks: {},
    }),
  );
  return address.port;
}

test('a client that connects and never sends is cut after the idle timeout', async (t) => {
  const port = await startLonelyProxy(t, { idleMs: 100 });
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  await once(socket, 'connect');
  await once(socket, 'close');
  assert.equal(received, '');
});

test('a client that starts a head and stalls is answered 408 after the head timeout, however long the idle timeout', async (t) => {
  const port = await startLonelyProxy(t, { idleMs: 600_000, headMs: 100 });
  const response = await rawExchange(port, 'GET /rooms/new HTTP/1.1\r\nHost: x\r\n');
  assert.match(response, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.match(response, /Request head not received whole within 100ms/);
});

test('with no daemon connected, /new is refused at once with 503', async (t) => {
  const port = await startLonelyProxy(t, {});
  const response = await send(port, { method: 'POST', path: '/rooms/new' });
  assert.equal(response.status, 503);
  assert.deepEqual(JSON.parse(response.body), {
    error: {
      code: 'TEND_ERR_DAEMON_UNREACHABLE',
      message: 'No daemon is connected to the proxy to allocate',
    },
  });
});
