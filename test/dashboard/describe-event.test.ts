import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEvent, eventSubject } from '../../dashboard/src/describe-event.js';
import type { TendEventKind } from '../../src/core/events.js';
import { SAMPLE_EVENTS } from '../helpers/sample-events.js';

// Typed over the kinds: a kind without its expected line fails the build, as one without its sentence.
const EXPECTED: Record<TendEventKind, string> = {
  'daemon.started': 'daemon started (pid 77, 0.1.0)',
  'daemon.stopping': 'daemon stopping',
  'daemon.fault': 'daemon cannot write the logs',
  'daemon.fault-cleared': 'daemon writes the state file again',
  'program.added': 'web added',
  'program.updated': 'web definition changed: env, max',
  'program.removed': 'web deleted',
  'program.desired': 'web meant to stay stopped',
  'program.scaled': 'web scaled from 1 to 3',
  'program.waiting': 'web waiting for db (starting)',
  'program.unblocked': 'web dependencies ready, starting',
  'instance.state': 'web:1 online → waiting (backing off)',
  'instance.spawned': 'web:1 spawned, pid 4242',
  'instance.ready': 'web:1 ready, pid 4242',
  'instance.not-ready': 'web:1 not ready: GET /ready 503, pid 4242',
  'instance.probe-failed': 'web:1 liveness probe failed: GET /healthz answered 500',
  'instance.suspect': 'web:1 suspect: silent for 60s',
  'instance.exited': 'web:1 exited code 3 after 2.5s',
  'instance.restarted': 'web:1 restarted (exit-code), pid 4242',
  'instance.status': 'web:1 status: warming the cache',
  'instance.errored': 'web:1 errored: gave up after 5 restarts',
  'lease.granted': 'worker:1 lease L7 granted to bob',
  'lease.ended': 'worker:1 lease L7 ended: expired',
  'task.allocated': 'chat:2 task room-7 allocated to alice, pid 5151',
  'task.connections': 'chat:2 task room-7: 2 connections (owner)',
  'task.ended': 'chat:2 task room-7 ended: its owner left',
  'proxy.membership': 'web proxy members: 1 of 2 ready (instance 1 not ready; instance 2 removed)',
  'program.reload-started': 'web reload of 2 started',
  'instance.replaced': 'web:1 replaced: pid 4000 → 4242',
  'program.reload-finished': 'web reload finished: 2 replaced in 1.5s',
  'program.reload-failed': 'web reload failed: web[1] exited with code 1 before it was ready',
};

test('the dashboard’s feed has a sentence for every kind of event, never the bare kind', () => {
  for (const [kind, event] of Object.entries(SAMPLE_EVENTS)) {
    const line = `${eventSubject(event)} ${describeEvent(event)}`;
    assert.equal(line, EXPECTED[kind as TendEventKind], kind);
    assert.doesNotMatch(describeEvent(event), /^[a-z]+\.[a-z-]+$/, kind);
  }
});

test('the dashboard says why a task or a lease ended in words, and leaves out an owner or holder it does not know', () => {
  const { 'task.ended': ended, 'lease.ended': leaseEnded } = SAMPLE_EVENTS;
  assert.equal(describeEvent({ ...ended, end: 'closed' }), 'task room-7 ended: closed');
  assert.equal(describeEvent({ ...ended, end: 'exited' }), 'task room-7 ended: its process exited');
  assert.equal(
    describeEvent({ ...ended, end: 'freed' }),
    'task room-7 ended: its process said it is free',
  );
  assert.equal(
    describeEvent({ ...leaseEnded, end: 'exited' }),
    'lease L7 ended: its instance exited',
  );
  assert.equal(
    describeEvent({ ...SAMPLE_EVENTS['task.allocated'], owner: null }),
    'task room-7 allocated, pid 5151',
  );
  assert.equal(
    describeEvent({ ...SAMPLE_EVENTS['lease.granted'], holder: null }),
    'lease L7 granted',
  );
  assert.equal(
    describeEvent({
      ...SAMPLE_EVENTS['daemon.started'],
      recovery: {
        after: 'crash',
        endedAt: null,
        how: null,
        crashesInARow: 1,
        adopted: 2,
        gone: 1,
      },
    }),
    'started (pid 77, 0.1.0), took over after a crash: 2 adopted, 1 had ended',
  );
});
