import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { ConfigureMessageSchema } from '../../src/proxy/control-protocol.js';
import { ProxyService } from '../../src/proxy/proxy-service.js';
import { UpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import { members, send, startUpstream, until } from './harness.js';

function draining(ports: number[], drainingInstances: number[]) {
  return members(...ports.map((port) => [port, true] as [number, boolean])).map((member) => {
    const isDraining = drainingInstances.includes(member.instance);
    return { ...member, isReady: !isDraining, isDraining };
  });
}

test('a draining instance with nothing in flight is drained at once and gets no request', () => {
  const drained: number[] = [];
  const registry = new UpstreamRegistry(
    'round-robin',
    () => {},
    {},
    (upstream) => drained.push(upstream.instance),
  );
  registry.setMembers(draining([1001, 1002], []), 0);
  registry.setMembers(draining([1001, 1002], [0]), 1);
  assert.deepEqual(drained, [0]);
  assert.deepEqual(
    [registry.pick(2, undefined), registry.pick(3, undefined)].map((u) => u?.instance),
    [1, 1],
  );
  registry.setMembers(draining([1001, 1002], [0]), 4);
  assert.deepEqual(drained, [0], 'the same membership again does not report it twice');
});

test('a draining instance finishes its request in flight, closes its keep-alive connection, and is reported drained after', async (t) => {
  let held: ServerResponse | undefined;
  const slow = await startUpstream(t, (_req, res) => {
    held = res;
  });
  const fast = await startUpstream(t);
  const drained: number[] = [];
  const service = new ProxyService(
    () => {},
    {},
    (instance) => drained.push(instance),
  );
  t.after(() => service.close(0));
  const { port } = await service.configure(
    ConfigureMessageSchema.parse({
      type: 'configure',
      pool: 'web',
      listen: { host: '127.0.0.1', port: 0 },
    }),
  );
  service.setUpstreams(draining([slow.port, fast.port], []));
  const inFlight = send(port, { path: '/held' });
  await until(() => held !== undefined);
  // A keep-alive connection to the slow instance exists (the one carrying the held request).
  service.setUpstreams(draining([slow.port, fast.port], [0]));
  assert.deepEqual(drained, [], 'not drained while a request is in flight');
  for (let round = 0; round < 4; round++) {
    assert.equal((await send(port, { path: `/new-${round}` })).status, 200);
  }
  assert.deepEqual(
    slow.received.map((request) => request.url),
    ['/held'],
    'new requests went to the other instance',
  );
  held?.end('finished');
  assert.deepEqual(await inFlight.then((response) => [response.status, response.body]), [
    200,
    'finished',
  ]);
  await until(() => drained.length === 1);
  assert.deepEqual(drained, [0]);
  const openToSlow = () =>
    new Promise<number>((resolve, reject) =>
      slow.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  let open = await openToSlow();
  for (let turn = 0; open > 0 && turn < 1000; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    open = await openToSlow();
  }
  assert.equal(open, 0, 'the connection that carried it is closed, not kept idle');
});
