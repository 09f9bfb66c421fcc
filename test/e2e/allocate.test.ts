import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AllocationReply } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, useTend } from './harness.js';

/** The watchdog lab's dispatcher: each client gets a free worker's address for itself. */
test('tend allocate hands each client its own ready worker, grows the pool to max, then refuses naming the bound', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(3);
  await tend.ok([
    'start',
    '--name',
    'worker',
    '--instances',
    '1',
    '--max',
    '3',
    '--port',
    String(base),
    '--',
    ...fixture('http-echo'),
  ]);

  // Three clients at once: one instance is ready, two more are started for them.
  const replies = await Promise.all(
    ['a', 'b', 'c'].map(
      async (holder) =>
        JSON.parse(
          await tend.ok(['allocate', 'worker', '--holder', holder, '--json']),
        ) as AllocationReply,
    ),
  );
  const instances = replies.map((reply) => reply.instance).sort();
  assert.deepEqual(instances, [0, 1, 2], 'three distinct instances');
  for (const reply of replies) {
    assert.equal(reply.port, base + reply.instance);
    const answer = (await (await fetch(`http://127.0.0.1:${reply.port}/`)).json()) as {
      instance: string;
    };
    assert.equal(answer.instance, String(reply.instance), 'the address reaches that instance');
  }

  // At max: a fourth client waits, then is refused with the pool and its bound named.
  const refused = await tend.run(['allocate', 'worker', '--timeout', '200ms']);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /No free instance of `worker` within 200ms: 3 of 3 leased.*max 3/);

  // A release by someone else is refused; by the holder it frees the instance for the next client.
  const first = replies.find((reply) => reply.lease.holder === 'a') as AllocationReply;
  const stolen = await tend.run(['release', 'worker', first.lease.id, '--holder', 'b']);
  assert.equal(stolen.code, 1, stolen.stderr);
  assert.match(stolen.stderr, /held by `a`, not by `b`/);
  await tend.ok(['release', 'worker', first.lease.id, '--holder', 'a']);
  const twice = await tend.run(['release', 'worker', first.lease.id, '--holder', 'a']);
  assert.equal(twice.code, 1, twice.stderr);
  assert.match(twice.stderr, /No lease/);
  const next = JSON.parse(await tend.ok(['allocate', 'worker', '--json'])) as AllocationReply;
  assert.equal(next.instance, first.instance);

  // An instance that exits ends its lease (and the event says so).
  const victim = replies.find((reply) => reply.lease.holder === 'c') as AllocationReply;
  const pid = (await tend.program('worker')).instances[victim.instance]?.pid as number;
  process.kill(pid, 'SIGKILL');
  await tend.until('the lease of the killed instance ended', async () => {
    const leases = await tend.api<AllocationReply[]>('GET', '/v1/programs/worker/leases');
    return leases.body.every((lease) => lease.lease.id !== victim.lease.id) || undefined;
  });
});

test('bad allocation input is refused and changes nothing', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'w', '--', ...fixture('forever')]);
  const unknown = await tend.run(['allocate', 'nope']);
  assert.equal(unknown.code, 1);
  const badBody = await tend.api('POST', '/v1/programs/w/allocate', { timeoutMs: -1 });
  assert.equal(badBody.status, 400);
  const badId = await tend.api('POST', `/v1/programs/w/leases/${'x'.repeat(100)}/release`, {});
  assert.equal(badId.status, 400);
  const dots = await tend.api('POST', '/v1/programs/w/leases/..%2F..%2Fx/release', {});
  assert.equal(dots.status, 400);
  const list = await tend.api<AllocationReply[]>('GET', '/v1/programs/w/leases');
  assert.deepEqual(list.body, []);
});
