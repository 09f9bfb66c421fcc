import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { SnapshotEvents } from '../../src/daemon/snapshot-events.js';
import type { ExitRecord, InstanceSnapshot } from '../../src/supervisor/types.js';

function snapshot(
  pid: number | null,
  state: InstanceSnapshot['state'],
  runs: number,
  restarts: number,
  exits: ExitRecord[] = [],
): InstanceSnapshot {
  return {
    name: 'web',
    instance: 1,
    state,
    pid,
    startedAt: null,
    stateSince: 0,
    downSince: null,
    reason: state === 'errored' ? 'too many restarts' : null,
    nextRestartAt: null,
    stats: { restarts, failureRestarts: restarts, runs, totalRunMs: 0, exits },
  };
}

const killed: ExitRecord = { at: 1, code: null, signal: 'SIGKILL', uptimeMs: 5, isFailure: true };
const failed: ExitRecord = { at: 2, code: 3, signal: null, uptimeMs: 5, isFailure: true };
const stopped: ExitRecord = { at: 3, code: null, signal: 'SIGTERM', uptimeMs: 5, isFailure: false };

function collect() {
  const bus = new EventBus();
  const events: TendEvent[] = [];
  bus.subscribe((event) => events.push(event));
  return { bridge: new SnapshotEvents(bus), events };
}

test('the first snapshot (restored stats included) is a baseline and emits nothing', () => {
  const { bridge, events } = collect();
  bridge.onInstanceChange(snapshot(10, 'online', 7, 6, [killed]), false);
  assert.deepEqual(events, []);
});

test('an exit and the restart after it become exited and restarted events with the cause', () => {
  const { bridge, events } = collect();
  bridge.onInstanceChange(snapshot(10, 'online', 0, 0), false);
  bridge.onInstanceChange(snapshot(11, 'online', 1, 1, [killed]), false);
  bridge.onInstanceChange(snapshot(12, 'online', 2, 2, [killed, failed]), false);
  bridge.onInstanceChange(snapshot(null, 'stopped', 3, 2, [killed, failed, stopped]), false);
  bridge.onInstanceChange(snapshot(13, 'online', 3, 3, [killed, failed, stopped]), false);

  assert.deepEqual(
    events.map((event) =>
      event.kind === 'instance.exited'
        ? `exited pid ${event.pid} ${event.signal ?? event.code}`
        : event.kind === 'instance.restarted'
          ? `restarted pid ${event.pid} ${event.cause}`
          : event.kind,
    ),
    [
      'exited pid 10 SIGKILL',
      'restarted pid 11 signal',
      'exited pid 11 3',
      'restarted pid 12 exit-code',
      'exited pid 12 SIGTERM',
      'restarted pid 13 manual',
    ],
  );
});

test('errored is emitted once when the instance enters it; the proxy role is kept', () => {
  const { bridge, events } = collect();
  bridge.onInstanceChange(snapshot(10, 'online', 0, 0), true);
  bridge.onInstanceChange(snapshot(null, 'errored', 1, 0, [failed]), true);
  bridge.onInstanceChange(snapshot(null, 'errored', 1, 0, [failed]), true);

  assert.deepEqual(
    events.map((event) => `${event.kind} ${'role' in event ? event.role : ''}`),
    ['instance.exited proxy', 'instance.errored proxy'],
  );
});

test('a removed program is announced and forgotten: its next instance starts a new baseline', () => {
  const { bridge, events } = collect();
  bridge.onInstanceChange(snapshot(10, 'online', 0, 0), false);
  bridge.onProgramRemoved('web');
  bridge.onInstanceChange(snapshot(20, 'online', 4, 4, [killed]), false);

  assert.deepEqual(
    events.map((event) => event.kind),
    ['program.removed'],
  );
});
