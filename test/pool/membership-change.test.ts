import assert from 'node:assert/strict';
import { test } from 'node:test';
import { membershipChange, type ProxyMember } from '../../src/pool/membership-change.js';

const member = (instance: number, isReady = true, port = 7000 + instance): ProxyMember => ({
  instance,
  port,
  isReady,
  isDraining: false,
});
const byInstance = (members: ProxyMember[]) =>
  new Map(members.map((each) => [each.instance, each]));

test('the same membership is no change', () => {
  const members = [member(0), member(1, false)];
  assert.deepEqual(
    membershipChange(
      byInstance(members),
      members.map((each) => ({ ...each })),
    ),
    {
      changed: [],
      removed: [],
    },
  );
});

test('an instance added, one whose readiness, port or drain changed, and one removed', () => {
  const previous = byInstance([member(0), member(1), member(2), member(3), member(4)]);
  const next = [
    member(0),
    member(1, false),
    member(2, true, 9002),
    { ...member(3), isDraining: true },
    member(5),
  ];
  assert.deepEqual(membershipChange(previous, next), {
    changed: [
      member(1, false),
      member(2, true, 9002),
      { ...member(3), isDraining: true },
      member(5),
    ],
    removed: [4],
  });
});

test('removals alone, down to none left; from nothing, every instance is added', () => {
  const previous = byInstance([member(0), member(1), member(2)]);
  assert.deepEqual(membershipChange(previous, [member(1)]), { changed: [], removed: [0, 2] });
  assert.deepEqual(membershipChange(previous, []), { changed: [], removed: [0, 1, 2] });
  assert.deepEqual(membershipChange(new Map(), [member(0), member(1)]), {
    changed: [member(0), member(1)],
    removed: [],
  });
});
