import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Lease, LeaseBook, type LeaseEnd } from '../../src/tasks/lease-book.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

function makeBook() {
  const clock = new FakeRuntime();
  const ended: Array<[number, LeaseEnd]> = [];
  const book = new LeaseBook(clock, (lease: Lease, end) => ended.push([lease.instance, end]));
  return { clock, book, ended };
}

test('a lease expires after its time-to-live unless renewed, and renewing counts from now', () => {
  const { clock, book, ended } = makeBook();
  const lease = book.grant(0, { ttlMs: 1_000, holder: null });
  clock.advance(900);
  book.renew(lease.id, 1_000);
  clock.advance(900);
  assert.equal(book.isLeased(0), true, 'renewed at 900: ends at 1900, not 1000');
  clock.advance(100);
  assert.equal(book.isLeased(0), false);
  assert.deepEqual(ended, [[0, 'expired']]);
});

test('a lease released twice, or renewed after it ended, is refused: the second call never touches a later lease', () => {
  const { book } = makeBook();
  const first = book.grant(0, { ttlMs: null, holder: null });
  book.release(first.id);
  const second = book.grant(0, { ttlMs: null, holder: null });
  assert.throws(() => book.release(first.id), { code: 'TEND_ERR_LEASE_NOT_FOUND' });
  assert.throws(() => book.renew(first.id, 10), { code: 'TEND_ERR_LEASE_NOT_FOUND' });
  assert.equal(book.list()[0]?.id, second.id, 'the new lease is untouched');
});

test('a lease granted to a named holder is released only by that holder', () => {
  const { book } = makeBook();
  const lease = book.grant(3, { ttlMs: null, holder: 'alice' });
  assert.throws(() => book.release(lease.id, 'bob'), { code: 'TEND_ERR_LEASE_NOT_YOURS' });
  assert.throws(() => book.release(lease.id), { code: 'TEND_ERR_LEASE_NOT_YOURS' });
  assert.equal(book.release(lease.id, 'alice').instance, 3);
});

test('an instance that exits ends its lease, and its expiry timer with it', () => {
  const { clock, book, ended } = makeBook();
  book.grant(1, { ttlMs: 500, holder: null });
  assert.equal(book.endForInstance(1, 'exited')?.instance, 1);
  assert.equal(book.endForInstance(1, 'exited'), null);
  book.grant(1, { ttlMs: null, holder: null });
  clock.advance(10_000);
  assert.deepEqual(ended, [[1, 'exited']], 'the old timer did not end the new lease');
  assert.equal(book.isLeased(1), true);
});

test('one instance is never leased twice', () => {
  const { book } = makeBook();
  book.grant(0, { ttlMs: null, holder: null });
  assert.throws(() => book.grant(0, { ttlMs: null, holder: null }), {
    code: 'TEND_ERR_LEASE_CONFLICT',
  });
});

test('a saved lease is taken back with what is left of its time-to-live; one that expired meanwhile ends at once', () => {
  const clock = new FakeRuntime();
  const ended: string[] = [];
  const book = new LeaseBook(clock, (lease, end) => ended.push(`${lease.id} ${end}`));
  const now = clock.now();
  assert.equal(
    book.restore({
      id: 'lkept',
      instance: 0,
      holder: 'a',
      grantedAt: now - 5_000,
      expiresAt: now + 1_000,
    }),
    true,
  );
  assert.equal(
    book.restore({
      id: 'lgone',
      instance: 1,
      holder: null,
      grantedAt: now - 5_000,
      expiresAt: now - 1,
    }),
    true,
  );
  assert.equal(
    book.restore({ id: 'lother', instance: 0, holder: null, grantedAt: now, expiresAt: null }),
    false,
    'instance 0 is leased already',
  );
  clock.advance(0);
  assert.deepEqual(ended, ['lgone expired']);
  clock.advance(999);
  assert.equal(book.isLeased(0), true);
  clock.advance(1);
  assert.deepEqual(ended, ['lgone expired', 'lkept expired']);
});
