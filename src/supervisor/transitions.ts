import type { InstanceState } from './types.js';

/**
 * What can happen to an instance. The `exited-…` events carry the supervisor's decision about an exit
 * (made by restart-policy, backoff and intensity), so that the table stays a plain function of state × event.
 */
export type InstanceEvent =
  /** A start is asked for (start, restart) and the instance should spawn now. */
  | 'start'
  /** The runtime could not spawn the process. */
  | 'spawn-failed'
  /** The process passed its readiness check (today: as soon as it is spawned). */
  | 'ready'
  /** A stop is asked for. */
  | 'stop'
  /** The process did not exit within stopTimeoutMs of the stop signal: time for SIGKILL. */
  | 'stop-timeout'
  /** The process ended and stays down: a requested stop, the restart policy, or a "done" exit code. */
  | 'exited'
  /** The process ended after a stable run: spawn again at once. */
  | 'exited-restart'
  /** The process ended young: spawn again after a backoff delay. */
  | 'exited-backoff'
  /** The process ended young once too often: give up. */
  | 'exited-give-up'
  /** The backoff delay is over: spawn again. */
  | 'backoff-elapsed';

/** Every event, for iterating over the table. */
export const INSTANCE_EVENTS: readonly InstanceEvent[] = [
  'start',
  'spawn-failed',
  'ready',
  'stop',
  'stop-timeout',
  'exited',
  'exited-restart',
  'exited-backoff',
  'exited-give-up',
  'backoff-elapsed',
];

/** Every state, for iterating over the table. */
export const INSTANCE_STATES: readonly InstanceState[] = [
  'starting',
  'online',
  'stopping',
  'stopped',
  'waiting',
  'errored',
];

/**
 * The answer of the table: the next state; `ignored` (nothing to do, such as stop when stopped, or a late timer);
 * `deferred` (start while stopping: start once the process has exited); `invalid` (cannot happen unless tend has a bug).
 */
export type Transition = InstanceState | 'ignored' | 'deferred' | 'invalid';

const TRANSITIONS: Readonly<Record<InstanceState, Readonly<Record<InstanceEvent, Transition>>>> = {
  stopped: {
    start: 'starting',
    'spawn-failed': 'invalid',
    ready: 'ignored',
    stop: 'ignored',
    'stop-timeout': 'ignored',
    exited: 'invalid',
    'exited-restart': 'invalid',
    'exited-backoff': 'invalid',
    'exited-give-up': 'invalid',
    'backoff-elapsed': 'ignored',
  },
  starting: {
    start: 'ignored',
    'spawn-failed': 'errored',
    ready: 'online',
    stop: 'stopping',
    'stop-timeout': 'ignored',
    exited: 'stopped',
    'exited-restart': 'starting',
    'exited-backoff': 'waiting',
    'exited-give-up': 'errored',
    'backoff-elapsed': 'ignored',
  },
  online: {
    start: 'ignored',
    'spawn-failed': 'invalid',
    ready: 'ignored',
    stop: 'stopping',
    'stop-timeout': 'ignored',
    exited: 'stopped',
    'exited-restart': 'starting',
    'exited-backoff': 'waiting',
    'exited-give-up': 'errored',
    'backoff-elapsed': 'ignored',
  },
  stopping: {
    start: 'deferred',
    'spawn-failed': 'invalid',
    ready: 'ignored',
    stop: 'ignored',
    'stop-timeout': 'stopping',
    exited: 'stopped',
    'exited-restart': 'invalid',
    'exited-backoff': 'invalid',
    'exited-give-up': 'invalid',
    'backoff-elapsed': 'ignored',
  },
  waiting: {
    start: 'starting',
    'spawn-failed': 'invalid',
    ready: 'ignored',
    stop: 'stopped',
    'stop-timeout': 'ignored',
    exited: 'invalid',
    'exited-restart': 'invalid',
    'exited-backoff': 'invalid',
    'exited-give-up': 'invalid',
    'backoff-elapsed': 'starting',
  },
  errored: {
    start: 'starting',
    'spawn-failed': 'invalid',
    ready: 'ignored',
    stop: 'stopped',
    'stop-timeout': 'ignored',
    exited: 'invalid',
    'exited-restart': 'invalid',
    'exited-backoff': 'invalid',
    'exited-give-up': 'invalid',
    'backoff-elapsed': 'ignored',
  },
};

/** Looks up what `event` does to an instance in `state`. */
export function lookupTransition(state: InstanceState, event: InstanceEvent): Transition {
  return TRANSITIONS[state][event];
}

/** Whether an instance in `state` has a process (running, or being stopped). */
export function hasProcessIn(state: InstanceState): boolean {
  return state === 'starting' || state === 'online' || state === 'stopping';
}

/** Whether a table answer names a state (rather than ignored, deferred or invalid). */
export function isStateTransition(transition: Transition): transition is InstanceState {
  return (INSTANCE_STATES as readonly string[]).includes(transition);
}
