import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TendEvent } from '../../src/api/wire.js';
import { describeStreamMessage, formatEventLine } from '../../src/cli/output/event-line.js';
import { PLAIN_PALETTE } from '../../src/cli/output/palette.js';

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
      members: [
        { instance: 0, port: 3000, isReady: true, isDraining: false },
        { instance: 1, port: 3001, isReady: false, isDraining: false },
      ],
    }),
    / web:proxy members 1\/2 ready \(0\)\n$/,
  );
  assert.match(
    line({
      ...at,
      kind: 'proxy.membership',
      program: 'web',
      members: [{ instance: 0, port: 3000, isReady: false, isDraining: true }],
    }),
    / web:proxy members 0\/1 ready, draining 0\n$/,
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
