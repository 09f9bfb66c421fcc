import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hasProcessIn,
  INSTANCE_EVENTS,
  INSTANCE_STATES,
  type InstanceEvent,
  isStateTransition,
  lookupTransition,
} from '../../src/supervisor/transitions.js';
import type { InstanceState } from '../../src/supervisor/types.js';

const EXIT_EVENTS: InstanceEvent[] = [
  'exited',
  'exited-restart',
  'exited-backoff',
  'exited-give-up',
];

function statesWhere(event: InstanceEvent, answer: string): InstanceState[] {
  return INSTANCE_STATES.filter((state) => lookupTransition(state, event) === answer);
}

function eventsInto(target: InstanceState): string[] {
  const found: string[] = [];
  for (const state of INSTANCE_STATES) {
    for (const event of INSTANCE_EVENTS) {
      if (lookupTransition(state, event) === target) found.push(`${state}+${event}`);
    }
  }
  return found;
}

test('every state answers every event', () => {
  for (const state of INSTANCE_STATES) {
    for (const event of INSTANCE_EVENTS) {
      const answer = lookupTransition(state, event);
      assert.ok(
        isStateTransition(answer) || ['ignored', 'deferred', 'invalid'].includes(answer),
        `${state} + ${event} gave ${String(answer)}`,
      );
    }
  }
});

test('start spawns from stopped, errored and waiting, is ignored while running, and waits for a stop', () => {
  assert.deepEqual(statesWhere('start', 'starting'), ['stopped', 'waiting', 'errored']);
  assert.deepEqual(statesWhere('start', 'ignored'), ['starting', 'online']);
  assert.deepEqual(statesWhere('start', 'deferred'), ['stopping']);
});

test('stop asks a process to end, and settles a process-less instance at once as stopped', () => {
  assert.deepEqual(statesWhere('stop', 'stopping'), ['starting', 'online']);
  assert.deepEqual(statesWhere('stop', 'stopped'), ['waiting', 'errored']);
  assert.deepEqual(statesWhere('stop', 'ignored'), ['stopping', 'stopped']);
});

test('an exit can only happen to an instance that has a process', () => {
  for (const event of EXIT_EVENTS) {
    for (const state of INSTANCE_STATES) {
      const isInvalid = lookupTransition(state, event) === 'invalid';
      if (!hasProcessIn(state)) assert.ok(isInvalid, `${state} + ${event} should be invalid`);
    }
  }
});

test('a process that exits while stopping is never restarted', () => {
  assert.equal(lookupTransition('stopping', 'exited'), 'stopped');
  for (const event of ['exited-restart', 'exited-backoff', 'exited-give-up'] as const) {
    assert.equal(lookupTransition('stopping', event), 'invalid');
  }
});

test('exit decisions lead from a running instance to their states', () => {
  for (const state of ['starting', 'online'] as const) {
    assert.equal(lookupTransition(state, 'exited'), 'stopped');
    assert.equal(lookupTransition(state, 'exited-restart'), 'starting');
    assert.equal(lookupTransition(state, 'exited-backoff'), 'waiting');
    assert.equal(lookupTransition(state, 'exited-give-up'), 'errored');
  }
});

test('every way into starting is one where the supervisor spawns', () => {
  assert.deepEqual(eventsInto('starting').sort(), [
    'errored+start',
    'online+exited-restart',
    'starting+exited-restart',
    'stopped+start',
    'waiting+backoff-elapsed',
    'waiting+start',
  ]);
});

test('errored is reached only by a failed spawn or by giving up', () => {
  assert.deepEqual(eventsInto('errored').sort(), [
    'online+exited-give-up',
    'starting+exited-give-up',
    'starting+spawn-failed',
  ]);
});

test('online is reached only by ready, from starting', () => {
  assert.deepEqual(eventsInto('online'), ['starting+ready']);
  assert.deepEqual(
    INSTANCE_STATES.filter((state) => state !== 'starting').map((s) =>
      lookupTransition(s, 'ready'),
    ),
    ['ignored', 'ignored', 'ignored', 'ignored', 'ignored'],
  );
});

test('a spawn can only fail while starting', () => {
  assert.deepEqual(statesWhere('spawn-failed', 'errored'), ['starting']);
  assert.deepEqual(statesWhere('spawn-failed', 'invalid').length, INSTANCE_STATES.length - 1);
});

test('a late timer is harmless: its event is ignored outside its own state', () => {
  assert.deepEqual(statesWhere('stop-timeout', 'stopping'), ['stopping']);
  assert.deepEqual(statesWhere('stop-timeout', 'ignored').length, INSTANCE_STATES.length - 1);
  assert.deepEqual(statesWhere('backoff-elapsed', 'starting'), ['waiting']);
  assert.deepEqual(statesWhere('backoff-elapsed', 'ignored').length, INSTANCE_STATES.length - 1);
});

test('only start leaves stopped', () => {
  const exits = INSTANCE_EVENTS.filter((event) =>
    isStateTransition(lookupTransition('stopped', event)),
  );
  assert.deepEqual(exits, ['start']);
});

test('hasProcessIn names the states with a live process', () => {
  assert.deepEqual(INSTANCE_STATES.filter(hasProcessIn), ['starting', 'online', 'stopping']);
});
