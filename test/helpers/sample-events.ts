/**
 * One event of every kind, for the tests of what people read (`tend events`, the dashboard's
 * feed). Typed over the kinds, so a new kind fails the build here until it has its sample.
 */
import type { TendEvent, TendEventKind } from '../../src/core/events.js';
import { makeSpec } from '../supervisor/harness.js';

type EventOf<K extends TendEventKind> = Extract<TendEvent, { kind: K }>;

const at = { seq: 9, time: new Date(2026, 0, 2, 3, 4, 5, 67).toISOString() };
const web = { ...at, program: 'web', instance: 1, role: 'instance', pid: 4242 } as const;

/** A sample of each kind, with the values the tests' expected sentences name. */
export const SAMPLE_EVENTS: { [K in TendEventKind]: EventOf<K> } = {
  'daemon.started': { ...at, kind: 'daemon.started', pid: 77, version: '0.1.0' },
  'daemon.stopping': { ...at, kind: 'daemon.stopping', pid: 77 },
  'daemon.fault': { ...at, kind: 'daemon.fault', area: 'logs', problem: 'cannot write the logs' },
  'daemon.fault-cleared': { ...at, kind: 'daemon.fault-cleared', area: 'state' },
  'program.added': { ...at, kind: 'program.added', program: 'web', spec: makeSpec() },
  'program.updated': {
    ...at,
    kind: 'program.updated',
    program: 'web',
    spec: makeSpec(),
    changed: ['env', 'max'],
  },
  'program.removed': { ...at, kind: 'program.removed', program: 'web' },
  'program.desired': { ...at, kind: 'program.desired', program: 'web', desired: 'stopped' },
  'program.scaled': { ...at, kind: 'program.scaled', program: 'web', from: 1, to: 3 },
  'program.waiting': {
    ...at,
    kind: 'program.waiting',
    program: 'web',
    dependencies: ['db'],
    reason: 'waiting for db (starting)',
    isStuck: false,
  },
  'program.unblocked': {
    ...at,
    kind: 'program.unblocked',
    program: 'web',
    cause: 'dependencies-ready',
  },
  'instance.state': {
    ...web,
    kind: 'instance.state',
    state: 'waiting',
    previous: 'online',
    reason: 'backing off',
  },
  'instance.spawned': { ...web, kind: 'instance.spawned' },
  'instance.ready': { ...web, kind: 'instance.ready' },
  'instance.not-ready': { ...web, kind: 'instance.not-ready', reason: 'not ready: GET /ready 503' },
  'instance.probe-failed': {
    ...web,
    kind: 'instance.probe-failed',
    probe: 'liveness',
    reason: 'GET /healthz answered 500',
  },
  'instance.suspect': { ...web, kind: 'instance.suspect', reason: 'silent for 60s' },
  'instance.exited': {
    ...web,
    kind: 'instance.exited',
    code: 3,
    signal: null,
    uptimeMs: 2500,
    isFailure: true,
    reason: null,
  },
  'instance.restarted': { ...web, kind: 'instance.restarted', cause: 'exit-code' },
  'instance.status': { ...web, kind: 'instance.status', text: 'warming the cache' },
  'instance.errored': { ...web, kind: 'instance.errored', reason: 'gave up after 5 restarts' },
  'lease.granted': {
    ...at,
    kind: 'lease.granted',
    program: 'worker',
    instance: 1,
    lease: 'L7',
    holder: 'bob',
  },
  'lease.ended': {
    ...at,
    kind: 'lease.ended',
    program: 'worker',
    instance: 1,
    lease: 'L7',
    end: 'expired',
  },
  'task.allocated': {
    ...at,
    kind: 'task.allocated',
    program: 'chat',
    instance: 2,
    task: 'room-7',
    owner: 'alice',
    pid: 5151,
  },
  'task.connections': {
    ...at,
    kind: 'task.connections',
    program: 'chat',
    instance: 2,
    task: 'room-7',
    connections: 2,
    isOwnerConnected: true,
  },
  'task.ended': {
    ...at,
    kind: 'task.ended',
    program: 'chat',
    instance: 2,
    task: 'room-7',
    end: 'owner-left',
  },
  'proxy.membership': {
    ...at,
    kind: 'proxy.membership',
    program: 'web',
    changed: [{ instance: 1, port: 3001, isReady: false, isDraining: false }],
    removed: [2],
    size: 2,
    readyCount: 1,
    drainingCount: 0,
  },
  'program.reload-started': {
    ...at,
    kind: 'program.reload-started',
    program: 'web',
    instances: 2,
    maxSurge: 1,
    maxUnavailable: 0,
    drainTimeoutMs: 5000,
    changed: ['env'],
  },
  'instance.replaced': { ...web, kind: 'instance.replaced', previousPid: 4000 },
  'program.reload-finished': {
    ...at,
    kind: 'program.reload-finished',
    program: 'web',
    replaced: 2,
    durationMs: 1500,
  },
  'program.reload-failed': {
    ...at,
    kind: 'program.reload-failed',
    program: 'web',
    failedInstance: 1,
    reason: 'web[1] exited with code 1 before it was ready',
    restored: true,
  },
};
