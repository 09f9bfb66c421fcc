import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TendEvent, TendEventKind } from '../../src/api/wire.js';
import { describeStreamMessage, formatEventLine } from '../../src/cli/output/event-line.js';
import { PLAIN_PALETTE } from '../../src/cli/output/palette.js';
import { SAMPLE_EVENTS } from '../helpers/sample-events.js';

const at = { seq: 9, time: new Date(2026, 0, 2, 3, 4, 5, 67).toISOString() };
const line = (event: TendEvent) => formatEventLine(event, PLAIN_PALETTE);

test('an exit shows the time to the millisecond, program:instance, the signal name or code, the run time and the reason', () => {
  const exited = {
    ...at,
    kind: 'instance.exited',
    program: 'web',
    instance: 1,
    role: 'instance',
    pid: 4242,
    code: null,
    signal: 'SIGKILL',
    uptimeMs: 2500,
    isFailure: true,
    reason: null,
  } as const;
  assert.equal(
    line(exited),
    '2026-01-02 03:04:05.067 web:1 exited SIGKILL after 2.5s (pid 4242)\n',
  );
  assert.equal(
    line({
      ...exited,
      signal: null,
      code: 3,
      reason: 'code 3 10ms after starting; restarting in 100ms',
    }),
    '2026-01-02 03:04:05.067 web:1 exited code 3 after 2.5s (pid 4242): code 3 10ms after starting; restarting in 100ms\n',
  );
});

test('restarts, state changes, errors and the proxy read as one line each', () => {
  const about = { ...at, program: 'web', instance: 0, role: 'instance' } as const;
  assert.match(
    line({ ...about, kind: 'instance.restarted', pid: 7, cause: 'signal' }),
    / web:0 restarted as pid 7 \(cause: signal\)\n$/,
  );
  assert.match(
    line({
      ...about,
      kind: 'instance.state',
      state: 'waiting',
      previous: 'online',
      pid: null,
      reason: 'backing off',
    }),
    / web:0 online → waiting: backing off\n$/,
  );
  assert.match(
    line({ ...about, kind: 'instance.errored', reason: 'gave up' }),
    / web:0 errored: gave up\n$/,
  );
  assert.match(
    line({ ...about, role: 'proxy', kind: 'instance.spawned', pid: 8 }),
    / web:proxy spawned pid 8\n$/,
  );
  assert.match(
    line({
      ...at,
      kind: 'proxy.membership',
      program: 'web',
      changed: [
        { instance: 0, port: 3000, isReady: true, isDraining: false },
        { instance: 1, port: 3001, isReady: false, isDraining: false },
      ],
      removed: [],
      size: 2,
      readyCount: 1,
      drainingCount: 0,
    }),
    / web:proxy members 1\/2 ready \(instance 0 ready; instance 1 not ready\)\n$/,
  );
  assert.match(
    line({
      ...at,
      kind: 'proxy.membership',
      program: 'web',
      changed: [{ instance: 0, port: 3000, isReady: false, isDraining: true }],
      removed: [],
      size: 1,
      readyCount: 0,
      drainingCount: 1,
    }),
    / web:proxy members 0\/1 ready, 1 draining \(instance 0 draining\)\n$/,
  );
  assert.match(
    line({
      ...about,
      kind: 'instance.replaced',
      previousPid: 7,
      pid: 9,
    }),
    / web:0 replaced: pid 7 → 9\n$/,
  );
  assert.match(
    line({
      ...at,
      kind: 'program.reload-failed',
      program: 'web',
      failedInstance: 0,
      reason: 'web[0] exited with code 1 before it was ready',
      restored: true,
    }),
    / web reload failed: web\[0\] exited with code 1 before it was ready \(that instance serves again with the previous definition\)\n$/,
  );
  assert.match(
    line({ ...at, kind: 'program.scaled', program: 'web', from: 1, to: 3 }),
    / web scaled 1 → 3\n$/,
  );
  assert.match(line({ ...at, kind: 'daemon.stopping', pid: 1 }), / daemon stopping\n$/);
  assert.match(
    line({
      ...at,
      kind: 'daemon.fault',
      area: 'logs',
      problem: 'cannot write the logs: ENOSPC: no space left on device',
    }),
    / daemon cannot write the logs: ENOSPC: no space left on device\n$/,
  );
  assert.match(
    line({ ...at, kind: 'daemon.fault-cleared', area: 'state' }),
    / daemon writes the state file again\n$/,
  );
});

test('stream notices say what happened to the stream', () => {
  assert.equal(
    describeStreamMessage({ kind: 'stream.gap', oldestSeq: 4, nextSeq: 9 }),
    'events before 4 were no longer kept; showing from 4',
  );
  assert.equal(
    describeStreamMessage({ kind: 'stream.closed', reason: 'too slow' }),
    'the daemon closed the event stream: too slow',
  );
  assert.equal(describeStreamMessage({ kind: 'stream.open', nextSeq: 1 }), undefined);
});

test('probe events: a failed check, not ready with its reason, and a suspect instance', () => {
  const about = { ...at, program: 'web', instance: 0, role: 'instance', pid: 4242 } as const;
  assert.equal(
    line({
      ...about,
      kind: 'instance.probe-failed',
      probe: 'liveness',
      reason: 'GET /healthz timed out after 1s',
    }),
    '2026-01-02 03:04:05.067 web:0 liveness probe failed (pid 4242): GET /healthz timed out after 1s\n',
  );
  assert.equal(
    line({
      ...about,
      kind: 'instance.not-ready',
      reason: 'not ready: readiness failed 3 times (GET /ready answered 503)',
    }),
    '2026-01-02 03:04:05.067 web:0 not ready (pid 4242): readiness failed 3 times (GET /ready answered 503)\n',
  );
  assert.equal(
    line({ ...about, kind: 'instance.suspect', reason: 'no response head within 60000 ms' }),
    '2026-01-02 03:04:05.067 web:0 suspect (pid 4242): no response head within 60000 ms\n',
  );
});

test('waiting for dependencies and the end of the wait read as one line each', () => {
  const waiting: TendEvent = {
    ...at,
    kind: 'program.waiting',
    program: 'api',
    dependencies: ['db'],
    reason: 'waiting for db (starting)',
    isStuck: false,
  };
  assert.equal(line(waiting), '2026-01-02 03:04:05.067 api waiting for db (starting)\n');
  assert.equal(
    line({ ...at, kind: 'program.unblocked', program: 'api', cause: 'dependencies-ready' }),
    '2026-01-02 03:04:05.067 api dependencies ready: starting\n',
  );
  assert.equal(
    line({ ...at, kind: 'program.unblocked', program: 'api', cause: 'stopped' }),
    '2026-01-02 03:04:05.067 api no longer waits: stopped\n',
  );
});

test('a change of a task’s connections reads as its count, the owner marked as in `tend tasks`', () => {
  const about = {
    ...at,
    kind: 'task.connections',
    program: 'rooms',
    instance: 2,
    task: 't1',
  } as const;
  assert.equal(
    line({ ...about, connections: 1, isOwnerConnected: true }),
    '2026-01-02 03:04:05.067 rooms:2 task t1: 1 connection (owner)\n',
  );
  assert.equal(
    line({ ...about, connections: 0, isOwnerConnected: false }),
    '2026-01-02 03:04:05.067 rooms:2 task t1: 0 connections\n',
  );
});

test('an update names the fields that changed, and none when only where variables came from did', () => {
  const spec = { name: 'web' } as Extract<TendEvent, { kind: 'program.updated' }>['spec'];
  const updated = { ...at, kind: 'program.updated', program: 'web', spec } as const;
  assert.match(line({ ...updated, changed: ['env', 'port'] }), / web updated: env, port\n$/);
  assert.match(line({ ...updated, changed: [] }), / web updated\n$/);
});

// Typed over the kinds: a kind without its expected line fails the build, as one without its case.
const EVERY_KIND: Record<TendEventKind, string> = {
  'daemon.started': 'daemon started (pid 77, version 0.1.0)',
  'daemon.stopping': 'daemon stopping',
  'daemon.fault': 'daemon cannot write the logs',
  'daemon.fault-cleared': 'daemon writes the state file again',
  'program.added': 'web added',
  'program.updated': 'web updated: env, max',
  'program.removed': 'web removed',
  'program.desired': 'web meant to stay stopped',
  'program.scaled': 'web scaled 1 → 3',
  'program.waiting': 'web waiting for db (starting)',
  'program.unblocked': 'web dependencies ready: starting',
  'instance.state': 'web:1 online → waiting: backing off',
  'instance.spawned': 'web:1 spawned pid 4242',
  'instance.ready': 'web:1 ready (pid 4242)',
  'instance.not-ready': 'web:1 not ready (pid 4242): GET /ready 503',
  'instance.probe-failed': 'web:1 liveness probe failed (pid 4242): GET /healthz answered 500',
  'instance.suspect': 'web:1 suspect (pid 4242): silent for 60s',
  'instance.exited': 'web:1 exited code 3 after 2.5s (pid 4242)',
  'instance.restarted': 'web:1 restarted as pid 4242 (cause: exit-code)',
  'instance.status': 'web:1 status: warming the cache',
  'instance.errored': 'web:1 errored: gave up after 5 restarts',
  'lease.granted': 'worker:1 lease L7 granted to bob',
  'lease.ended': 'worker:1 lease L7 ended: expired',
  'task.allocated': 'chat:2 task room-7 allocated to alice (pid 5151)',
  'task.connections': 'chat:2 task room-7: 2 connections (owner)',
  'task.ended': 'chat:2 task room-7 ended: its owner left',
  'proxy.membership': 'web:proxy members 1/2 ready (instance 1 not ready; instance 2 removed)',
  'program.reload-started': 'web reload of 2 started (surge 1, unavailable 0; applies env)',
  'instance.replaced': 'web:1 replaced: pid 4000 → 4242',
  'program.reload-finished': 'web reload finished: 2 replaced in 1.5s',
  'program.reload-failed':
    'web reload failed: web[1] exited with code 1 before it was ready (that instance serves again with the previous definition)',
};

test('every kind of event reads as a sentence, after the time', () => {
  for (const [kind, event] of Object.entries(SAMPLE_EVENTS)) {
    assert.equal(
      line(event),
      `2026-01-02 03:04:05.067 ${EVERY_KIND[kind as TendEventKind]}\n`,
      kind,
    );
  }
});

test('why a task or a lease ended is said in words, and an unknown owner or holder is left out', () => {
  const words = (event: TendEvent) =>
    line(event)
      .replace(/^\S+ \S+ \S+ /, '')
      .trimEnd();
  const { 'task.ended': ended, 'lease.ended': leaseEnded } = SAMPLE_EVENTS;
  assert.equal(words({ ...ended, end: 'closed' }), 'task room-7 ended: closed');
  assert.equal(words({ ...ended, end: 'exited' }), 'task room-7 ended: its process exited');
  assert.equal(words({ ...ended, end: 'shutdown' }), 'task room-7 ended: its process shut it down');
  assert.equal(words({ ...ended, end: 'removed' }), 'task room-7 ended: the program was deleted');
  assert.equal(words({ ...leaseEnded, end: 'released' }), 'lease L7 ended: released');
  assert.equal(words({ ...leaseEnded, end: 'exited' }), 'lease L7 ended: its instance exited');
  assert.equal(
    words({ ...SAMPLE_EVENTS['task.allocated'], owner: null }),
    'task room-7 allocated (pid 5151)',
  );
  assert.equal(words({ ...SAMPLE_EVENTS['lease.granted'], holder: null }), 'lease L7 granted');
});

test('a membership change of a pool of 1,000 names the first instances it changed, not all of them', () => {
  const changed = Array.from({ length: 1000 }, (_, instance) => ({
    instance,
    port: 3000 + instance,
    isReady: true,
    isDraining: false,
  }));
  assert.equal(
    line({
      ...SAMPLE_EVENTS['proxy.membership'],
      changed,
      removed: [],
      size: 1000,
      readyCount: 1000,
    }),
    '2026-01-02 03:04:05.067 web:proxy members 1000/1000 ready (instances 0, 1, 2, 3, 4, 5, 6, 7 and 992 more ready)\n',
  );
});
