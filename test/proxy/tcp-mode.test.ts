import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { members, refusedPort, startProxy, startRawUpstream } from './harness.js';

/** Connects to `port`, sends `text`, half-closes, and reads everything until the proxy closes. */
async function roundTrip(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.end(text);
  await once(socket, 'close');
  return received;
}

function echoServer(name: string) {
  return (socket: import('node:net').Socket): void => {
    socket.write(`${name}:`);
    socket.pipe(socket);
  };
}

test('TCP mode pipes bytes both ways, half-close included', async (t) => {
  const upstream = await startRawUpstream(t, echoServer('a'));
  const { port } = await startProxy(t, { mode: 'tcp' }, members([upstream.port, true]));

  assert.equal(await roundTrip(port, 'PING\r\n'), 'a:PING\r\n');
  const big = 'z'.repeat(2 * 1024 * 1024);
  assert.equal((await roundTrip(port, big)).length, big.length + 2);
});

test('TCP mode balances connections round-robin', async (t) => {
  const a = await startRawUpstream(t, echoServer('a'));
  const b = await startRawUpstream(t, echoServer('b'));
  const { port } = await startProxy(t, { mode: 'tcp' }, members([a.port, true], [b.port, true]));

  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await roundTrip(port, '.'));

  assert.deepEqual(answers, ['a:.', 'b:.', 'a:.', 'b:.']);
});

test('TCP mode tries the next instance when a connection cannot be made', async (t) => {
  const dead = await refusedPort();
  const live = await startRawUpstream(t, echoServer('live'));
  const { port, failed, service } = await startProxy(
    t,
    { mode: 'tcp' },
    members([dead, true], [live.port, true]),
  );

  assert.equal(await roundTrip(port, 'x'), 'live:x');
  assert.deepEqual(failed, [{ instance: 0, reason: 'ECONNREFUSED' }]);
  const [deadStats, liveStats] = service.stats();
  assert.equal(deadStats?.failures, 1);
  assert.equal(liveStats?.requests, 1);
  assert.equal(liveStats?.retries, 1);
});

test('TCP mode closes the connection when no instance is ready in time', async (t) => {
  const live = await startRawUpstream(t, echoServer('live'));
  const { port } = await startProxy(
    t,
    { mode: 'tcp', waitForReadyMs: 100 },
    members([live.port, false]),
  );

  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  const started = performance.now();
  await once(socket, 'close');

  assert.equal(received, '');
  assert.ok(performance.now() - started >= 90);
  assert.equal(live.connections(), 0);
});

test('TCP mode: a waiting connection goes through once an instance is ready', async (t) => {
  const live = await startRawUpstream(t, echoServer('live'));
  const { port, service } = await startProxy(t, { mode: 'tcp' }, members([live.port, false]));
  const { until } = await import('./harness.js');

  const pending = roundTrip(port, 'late');
  await until(() => service.waitingCount === 1);
  service.setUpstreams(members([live.port, true]));

  assert.equal(await pending, 'live:late');
});
