import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpstreamRegistry } from '../../src/proxy/upstream-registry.js';
import { members } from './harness.js';

const SUSPEND_INITIAL_MS = 100;
const SUSPEND_MAX_MS = 400;

function makeRegistry(balance: 'round-robin' | 'least-outstanding' = 'round-robin') {
  const failures: string[] = [];
  const registry = new UpstreamRegistry(
    balance,
    (upstream, reason) => failures.push(`${upstream.instance}:${reason}`),
    { suspendInitialMs: SUSPEND_INITIAL_MS, suspendMaxMs: SUSPEND_MAX_MS },
  );
  return { registry, failures };
}

test('a failed instance is skipped for a while, then tried again by itself', () => {
  const { registry, failures } = makeRegistry();
  registry.setMembers(members([1001, true], [1002, true]), 0);
  const first = registry.pick(0, undefined);
  assert.equal(first?.instance, 0);

  registry.recordFailure(first, 'ECONNREFUSED', 0);

  assert.deepEqual(
    [registry.pick(1, undefined), registry.pick(2, undefined)].map((u) => u?.instance),
    [1, 1],
  );
  assert.equal(registry.pick(SUSPEND_INITIAL_MS + 1, undefined)?.instance, 0);
  assert.deepEqual(failures, ['0:ECONNREFUSED']);
});

test('repeated failures double the skip, up to a cap, and are reported once', () => {
  const { registry, failures } = makeRegistry();
  registry.setMembers(members([1001, true]), 0);
  const upstream = registry.upstreams[0];
  assert.ok(upstream);

  registry.recordFailure(upstream, 'ECONNREFUSED', 0);
  registry.recordFailure(upstream, 'ECONNREFUSED', 10);
  assert.equal(upstream.suspendedUntilMs, 10 + 2 * SUSPEND_INITIAL_MS);
  registry.recordFailure(upstream, 'ECONNREFUSED', upstream.suspendedUntilMs + 1);
  assert.equal(failures.length, 2, 'one report per healthy → failed change');
  registry.recordFailure(upstream, 'ECONNREFUSED', 1_000);
  registry.recordFailure(upstream, 'ECONNREFUSED', 2_000);
  assert.equal(upstream.suspendedUntilMs, 2_000 + SUSPEND_MAX_MS, 'capped');
});

test('an instance reported ready again is used at once, its skip forgotten', () => {
  const { registry } = makeRegistry();
  registry.setMembers(members([1001, true]), 0);
  const upstream = registry.upstreams[0];
  assert.ok(upstream);
  registry.recordFailure(upstream, 'ECONNRESET', 0);
  assert.equal(registry.pick(1, undefined), undefined);

  registry.setMembers(members([1001, true]), 1);
  assert.equal(registry.pick(2, undefined), undefined, 'still ready: no change, skip kept');

  registry.setMembers(members([1001, false]), 3);
  registry.setMembers(members([1001, true]), 4);
  assert.equal(registry.pick(5, undefined), upstream);
});

test('a retried request prefers instances it has not tried', () => {
  const { registry } = makeRegistry();
  registry.setMembers(members([1001, true], [1002, true], [1003, true]), 0);
  const [a, b] = registry.upstreams;
  assert.ok(a && b);

  assert.equal(registry.pick(0, [a, b])?.instance, 2);
  assert.equal(registry.pick(0, [...registry.upstreams])?.instance !== undefined, true);
});

test('least-outstanding takes the instance with the fewest requests in flight, ties in turn', () => {
  const { registry } = makeRegistry('least-outstanding');
  registry.setMembers(members([1001, true], [1002, true], [1003, true]), 0);
  const [a, b, c] = registry.upstreams;
  assert.ok(a && b && c);
  a.outstanding = 2;
  b.outstanding = 1;
  c.outstanding = 1;

  assert.equal(registry.pick(0, undefined), b);
  assert.equal(registry.pick(0, undefined), c);
  c.outstanding = 5;
  assert.equal(registry.pick(0, undefined), b);
});

test('waiters are woken when the membership changes', () => {
  const { registry } = makeRegistry();
  registry.setMembers(members([1001, false]), 0);
  let woken = 0;
  registry.addWaiter({ onUpstreamMaybeAvailable: () => woken++ }, 0);
  assert.equal(registry.waitingCount, 1);

  registry.setMembers(members([1001, true]), 1);

  assert.equal(woken, 1);
  assert.equal(registry.waitingCount, 0);
});

test('changeMembers applies only what it names: an instance added, one made not ready, one moved to another port, one removed', () => {
  const { registry } = makeRegistry();
  registry.setMembers(members([1001, true], [1002, true], [1003, true]), 0);
  const [a, b, c] = registry.upstreams;
  assert.ok(a && b && c);

  registry.changeMembers(
    [
      { instance: 1, host: '127.0.0.1', port: 1002, isReady: false },
      { instance: 2, host: '127.0.0.1', port: 2003, isReady: true },
      { instance: 7, host: '127.0.0.1', port: 1008, isReady: true },
    ],
    [0],
    1,
  );

  assert.deepEqual(
    registry.upstreams.map((u) => [u.instance, u.port, u.isReady]),
    [
      [1, 1002, false],
      [2, 2003, true],
      [7, 1008, true],
    ],
  );
  assert.equal(registry.upstreams[0], b, 'a readiness change keeps the instance and its counters');
  assert.notEqual(registry.upstreams[1], c, 'another port is another upstream');
  assert.ok(a.isRemoved && c.isRemoved, 'the removed and the replaced are marked removed');
  assert.deepEqual(
    [registry.pick(2, undefined), registry.pick(2, undefined)].map((u) => u?.instance),
    [2, 7],
    'the not-ready instance gets nothing',
  );
});

test('changeMembers wakes waiters, and a removal of an unknown instance is harmless', () => {
  const { registry } = makeRegistry();
  registry.setMembers(members([1001, false]), 0);
  let woken = 0;
  registry.addWaiter({ onUpstreamMaybeAvailable: () => woken++ }, 0);

  registry.changeMembers([{ instance: 0, host: '127.0.0.1', port: 1001, isReady: true }], [9], 1);

  assert.equal(woken, 1);
  assert.equal(registry.pick(2, undefined)?.instance, 0);
  assert.equal(registry.upstreams.length, 1);
});
