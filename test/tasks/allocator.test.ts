import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AllocatableMember, Allocator } from '../../src/tasks/allocator.js';
import { LeaseBook } from '../../src/tasks/lease-book.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

/** A pool of `size` ready instances (ports 4000 + i) that grows by starting (not ready) instances. */
function makePool(size: number, max: number) {
  const members: AllocatableMember[] = Array.from({ length: size }, (_, instance) => ({
    instance,
    port: 4000 + instance,
    isReady: true,
  }));
  let grown = 0;
  const pool = {
    name: 'worker',
    max,
    members: () => members.map((member) => ({ ...member })),
    grow: () => {
      grown += 1;
      members.push({ instance: members.length, port: 4000 + members.length, isReady: false });
    },
  };
  const clock = new FakeRuntime();
  const book = new LeaseBook(clock);
  const allocator = new Allocator(pool, book, clock);
  const markReady = (instance: number) => {
    const member = members[instance];
    if (member) member.isReady = true;
    allocator.poolChanged();
  };
  return { clock, book, allocator, markReady, grown: () => grown };
}

const REQUEST = { holder: null, ttlMs: null, timeoutMs: 1_000 };

test('many requests at once never get the same instance', async () => {
  const { allocator } = makePool(50, 50);
  const allocations = await Promise.all(
    Array.from({ length: 50 }, () => allocator.allocate(REQUEST)),
  );
  const instances = new Set(allocations.map((allocation) => allocation.lease.instance));
  assert.equal(instances.size, 50);
  assert.equal(new Set(allocations.map((allocation) => allocation.port)).size, 50);
});

test('with none free below max, the pool grows by one per waiting request and each is served once ready', async () => {
  const { allocator, markReady, grown } = makePool(1, 3);
  await allocator.allocate(REQUEST);
  const second = allocator.allocate(REQUEST);
  const third = allocator.allocate(REQUEST);
  assert.equal(grown(), 2);
  markReady(2);
  markReady(1);
  assert.deepEqual(
    [(await second).lease.instance, (await third).lease.instance],
    [2, 1],
    'first come first served: the first instance ready (2) goes to the oldest request',
  );
});

test('at max, a request waits for a release, and is refused after its timeout naming the pool and its bound', async () => {
  const { clock, book, allocator } = makePool(2, 2);
  const first = await allocator.allocate(REQUEST);
  await allocator.allocate(REQUEST);
  const waiting = allocator.allocate(REQUEST);
  book.release(first.lease.id);
  allocator.poolChanged();
  assert.equal((await waiting).lease.instance, 0, 'the released instance');

  const refused = allocator.allocate(REQUEST);
  clock.advance(999);
  assert.equal(allocator.waiting, 1);
  clock.advance(1);
  await assert.rejects(refused, {
    code: 'TEND_ERR_ALLOCATION_TIMEOUT',
    message: /No free instance of `worker` within 1s: 2 of 2 leased.*max 2/,
  });
  assert.equal(allocator.waiting, 0);
});

test('a starting instance is not handed out before it is ready', async () => {
  const { allocator, markReady } = makePool(0, 1);
  let isServed = false;
  const pending = allocator.allocate(REQUEST).then((allocation) => {
    isServed = true;
    return allocation;
  });
  await Promise.resolve();
  assert.equal(isServed, false);
  markReady(0);
  assert.equal((await pending).port, 4000);
});

test('cancelAll refuses the waiting requests', async () => {
  const { allocator } = makePool(0, 1);
  const pending = allocator.allocate(REQUEST);
  allocator.cancelAll('`worker` was removed');
  await assert.rejects(pending, { code: 'TEND_ERR_ALLOCATION_CANCELLED' });
});
