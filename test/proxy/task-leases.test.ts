import assert from 'node:assert/strict';
import { test } from 'node:test';
import { send } from './harness.js';
import { startTaskProxy } from './task-harness.js';

const TOKEN = 'a-token-of-at-least-16';

test('a lease taken on the proxy port is renewed and released there, behind the allocate token', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 }, { allocateToken: TOKEN });
  const granted = await send(port, {
    method: 'POST',
    path: `/rooms/allocate?holder=lab-7&ttlMs=30000&token=${TOKEN}`,
  });
  assert.equal(granted.status, 200);
  const leaseId = (JSON.parse(granted.body) as { lease: { id: string } }).lease.id;

  for (const action of ['renew', 'release']) {
    const denied = await send(port, {
      method: 'POST',
      path: `/rooms/leases/${leaseId}/${action}?holder=lab-7&token=wrong-token-of-16-chars`,
    });
    assert.equal(denied.status, 401);
    assert.deepEqual(JSON.parse(denied.body), {
      error: {
        code: 'TEND_ERR_API_UNAUTHORIZED',
        message: `Expected the pool's allocate token (\`Authorization: Bearer <token>\` or \`?token=\`) to ${action} a lease on pool "rooms"`,
      },
    });
  }
  assert.equal(daemon.sent('lease-action').length, 0, 'nothing reached the daemon');

  const renewed = await send(port, {
    method: 'POST',
    path: `/rooms/leases/${leaseId}/renew?holder=lab-7&ttlMs=5000`,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(renewed.status, 200);
  assert.deepEqual(JSON.parse(renewed.body), {
    program: 'rooms',
    instance: 0,
    lease: { id: leaseId, holder: 'lab-7', ttlMs: 5000, action: 'renew' },
  });
  const [renewal] = daemon.sent('lease-action');
  assert.deepEqual(
    { ...renewal, requestId: undefined },
    {
      type: 'lease-action',
      requestId: undefined,
      action: 'renew',
      leaseId,
      holder: 'lab-7',
      ttlMs: 5000,
    },
  );

  const released = await send(port, {
    method: 'POST',
    path: `/rooms/leases/${leaseId}/release?holder=lab-7&token=${TOKEN}`,
  });
  assert.equal(released.status, 200);
  assert.equal(daemon.leases.has(leaseId), false);
  assert.deepEqual(daemon.sent('lease-action').at(-1)?.ttlMs, null, 'no ttlMs given: null');
});

test('a lease released twice, by another holder, or unknown to the pool is refused as the daemon says, and stays as it was', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 });
  const granted = await send(port, { method: 'POST', path: '/rooms/allocate?holder=lab-7' });
  const leaseId = (JSON.parse(granted.body) as { lease: { id: string } }).lease.id;
  const release = (id: string, holder: string) =>
    send(port, { method: 'POST', path: `/rooms/leases/${id}/release?holder=${holder}` });

  const stolen = await release(leaseId, 'mallory');
  assert.equal(stolen.status, 409);
  assert.equal(JSON.parse(stolen.body).error.code, 'TEND_ERR_LEASE_NOT_YOURS');
  assert.equal(daemon.leases.get(leaseId), 'lab-7', 'still held by its holder');

  const unknown = await release('lother-pool-lease', 'lab-7');
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).error.code, 'TEND_ERR_LEASE_NOT_FOUND');

  assert.equal((await release(leaseId, 'lab-7')).status, 200);
  const twice = await release(leaseId, 'lab-7');
  assert.equal(twice.status, 404);
  assert.deepEqual(JSON.parse(twice.body), {
    error: { code: 'TEND_ERR_LEASE_NOT_FOUND', message: `No lease \`${leaseId}\` of \`rooms\`` },
  });
});

test('a bad lease route, id or parameter is refused before the daemon is asked', async (t) => {
  const { port, daemon } = await startTaskProxy(t, { instances: 1 });
  const cases: Array<[string, string, number, string, RegExp]> = [
    ['GET', '/rooms/leases/l1/release', 404, 'TEND_ERR_API_ROUTE_NOT_FOUND', /Expected a POST/],
    ['POST', '/rooms/leases/l1/expire', 404, 'TEND_ERR_API_ROUTE_NOT_FOUND', /release or/],
    ['POST', '/rooms/leases/l1', 404, 'TEND_ERR_API_ROUTE_NOT_FOUND', /renew/],
    ['POST', '/rooms/leases', 404, 'TEND_ERR_API_ROUTE_NOT_FOUND', /renew/],
    ['POST', '/rooms/leases/l1/release/more', 404, 'TEND_ERR_API_ROUTE_NOT_FOUND', /renew/],
    ['POST', '/rooms/leases/l..1/release', 400, 'TEND_ERR_TASK_ID_INVALID', /a lease id of/],
    ['POST', `/rooms/leases/${'l'.repeat(10_000)}/renew`, 400, 'TEND_ERR_TASK_ID_INVALID', /64/],
    ['POST', '/rooms/leases/l1/renew?ttlMs=soon', 400, 'TEND_ERR_API_INVALID_BODY', /ttlMs/],
    ['POST', '/rooms/leases/l1/renew?ttlMs=0', 400, 'TEND_ERR_API_INVALID_BODY', /ttlMs/],
  ];
  for (const [method, path, status, code, message] of cases) {
    const response = await send(port, { method, path });
    assert.equal(response.status, status, `${method} ${path.slice(0, 40)}`);
    const { error } = JSON.parse(response.body) as { error: { code: string; message: string } };
    assert.equal(error.code, code, `${method} ${path.slice(0, 40)}`);
    assert.match(error.message, message);
  }
  assert.equal(daemon.sent('lease-action').length, 0);
});
