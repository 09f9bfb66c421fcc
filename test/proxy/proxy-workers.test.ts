import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProxyControlClient } from '../../src/proxy/control-client.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { startUpstream } from './harness.js';
import {
  childPids,
  KeepAliveClient,
  ownerOfConnection,
  spawnProxyProcess,
} from './proxy-process-helpers.js';

type After = { after(fn: () => unknown): void };

/** A proxy process with `workers` workers in front of two upstreams that answer `A` and `B`. */
async function proxyWithWorkers(t: After, workers: number) {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const proxy = await spawnProxyProcess(t, socketPath);
  const a = await startUpstream(t, (_req, res) => res.end('A'));
  const b = await startUpstream(t, (_req, res) => res.end('B'));
  const client = await ProxyControlClient.connect(socketPath);
  t.after(() => client.close());
  const address = await client.configure({
    pool: 'web',
    listen: { host: '127.0.0.1', port: 0 },
    workers,
  });
  const setReady = async (isAReady: boolean, isBReady: boolean): Promise<void> => {
    client.setUpstreams([
      { instance: 0, host: '127.0.0.1', port: a.port, isReady: isAReady, isDraining: false },
      { instance: 1, host: '127.0.0.1', port: b.port, isReady: isBReady, isDraining: false },
    ]);
    // Each worker handles its messages in order: once `stats` is answered, every worker has the membership.
    await client.poolStats();
  };
  return { proxy, client, port: address.port, setReady, upstreamPorts: [a.port, b.port] };
}

async function openClients(t: After, port: number, count: number): Promise<KeepAliveClient[]> {
  const clients: KeepAliveClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await KeepAliveClient.open(t, port));
  return clients;
}

test('a proxy with 2 workers: both serve, connections spread over both, membership reaches each, stats are summed', async (t) => {
  const { proxy, client, port, setReady } = await proxyWithWorkers(t, 2);
  const workers = childPids(proxy.pid);
  assert.equal(workers.length, 2);

  await setReady(true, false);
  const first = await openClients(t, port, 4);
  for (const connection of first) assert.equal(await connection.get(), 'A');
  const owners = first.map((connection) => ownerOfConnection(workers, port, connection.localPort));
  // Round-robin hands a connection to a worker that has taken the previous one; under load a
  // worker's answer can come after the next connection, so the split is not always 2 and 2.
  for (const worker of workers) {
    assert.ok(owners.includes(worker), `each worker serves some: owners ${owners}`);
  }

  await setReady(false, true);
  for (const connection of first) assert.equal(await connection.get(), 'B');

  const stats = await client.poolStats();
  const [a, b] = stats.instances;
  assert.equal(a?.requests, 4);
  assert.equal(b?.requests, 4);
  assert.equal(b?.responses['2xx'], 4);
  assert.equal(b?.latencyTotals.count, 4);
  assert.equal(
    b?.latencyTotals.buckets.reduce((sum, count) => sum + count, 0),
    4,
  );
  assert.notEqual(b?.latencyMs.p99, null);
  assert.equal(b?.isReady, true);
  assert.equal(a?.isReady, false);
});

test('a killed worker is logged and replaced; the other worker keeps its connections', async (t) => {
  const { proxy, port, setReady } = await proxyWithWorkers(t, 2);
  await setReady(true, true);
  const [victim, survivor] = childPids(proxy.pid) as [number, number];
  const clients = await openClients(t, port, 4);
  for (const connection of clients) await connection.get();
  const ownedBy = (pid: number): KeepAliveClient[] =>
    clients.filter((connection) => ownerOfConnection([pid], port, connection.localPort) === pid);
  const victims = ownedBy(victim);
  const survivors = ownedBy(survivor);
  assert.ok(victims.length >= 1 && survivors.length >= 1, 'both workers hold connections');
  assert.equal(victims.length + survivors.length, 4);

  process.kill(victim, 'SIGKILL');
  await proxy.stderrLine(new RegExp(`worker 1 \\(pid ${victim}\\) exited on SIGKILL`));
  const replaced = await proxy.stderrLine(/worker 3 \(pid \d+\) listens in place of worker 1/);
  const replacement = Number(/pid (\d+)/.exec(replaced)?.[1]);

  for (const connection of victims) await connection.closed;
  for (const connection of survivors) assert.match(await connection.get(), /^[AB]$/);
  const fresh = await openClients(t, port, 2);
  for (const connection of fresh) assert.match(await connection.get(), /^[AB]$/);
  const owners = fresh.map((connection) =>
    ownerOfConnection([survivor, replacement], port, connection.localPort),
  );
  assert.deepEqual(owners.sort(), [survivor, replacement].sort());
  assert.deepEqual(
    childPids(proxy.pid),
    [survivor, replacement].sort((x, y) => x - y),
  );
});

test('one worker serves from the proxy process itself, and a reconfigure to 2 workers forks them', async (t) => {
  const { proxy, client, port, setReady } = await proxyWithWorkers(t, 1);
  assert.deepEqual(childPids(proxy.pid), []);
  await setReady(true, false);
  const single = await KeepAliveClient.open(t, port);
  assert.equal(await single.get(), 'A');
  assert.equal(ownerOfConnection([proxy.pid], port, single.localPort), proxy.pid);

  const again = await client.configure({
    pool: 'web',
    listen: { host: '127.0.0.1', port },
    workers: 2,
  });
  assert.equal(again.port, port);
  assert.equal(childPids(proxy.pid).length, 2);
  await setReady(true, false);
  for (const connection of await openClients(t, port, 2)) assert.equal(await connection.get(), 'A');
});

test('membership changes reach every worker, and a worker started later gets the membership they add up to', async (t) => {
  const { proxy, client, port, setReady, upstreamPorts } = await proxyWithWorkers(t, 2);
  await setReady(true, false);
  const upstream = (instance: number, isReady: boolean) => {
    const known = upstreamPorts[instance] as number;
    return { instance, host: '127.0.0.1', port: known, isReady, isDraining: false };
  };
  client.send({
    type: 'membership-changed',
    upstreams: [upstream(0, false), upstream(1, true)],
    removed: [],
  });
  client.send({ type: 'membership-changed', upstreams: [], removed: [0] });
  await client.poolStats();
  const clients = await openClients(t, port, 4);
  for (const connection of clients) assert.equal(await connection.get(), 'B');

  const [victim] = childPids(proxy.pid) as [number];
  process.kill(victim, 'SIGKILL');
  const replaced = await proxy.stderrLine(/worker 3 \(pid \d+\) listens in place of worker 1/);
  const replacement = Number(/pid (\d+)/.exec(replaced)?.[1]);
  const fresh = await openClients(t, port, 4);
  for (const connection of fresh) assert.equal(await connection.get(), 'B', 'not the first list');
  assert.ok(
    fresh.some(
      (connection) => ownerOfConnection([replacement], port, connection.localPort) === replacement,
    ),
    'the replacement served some',
  );
  const instances = (await client.poolStats()).instances;
  assert.deepEqual(
    instances.map((instance) => [instance.instance, instance.isReady]),
    [[1, true]],
    'instance 0 is gone from every worker, the replacement included',
  );
});
