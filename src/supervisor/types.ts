import type { ProgramSpec } from '../config/program-spec.js';
import type { SignalName } from '../process/signals.js';

// The runtime the supervisor drives is defined by process/, which implements it; imports flow → process.
export type {
  AdoptedProcess,
  ProcessExit,
  SpawnOutcome,
  SpawnRequest,
  SupervisorRuntime,
  TimerHandle,
} from '../process/runtime.js';

/** The closed set of states an instance can be in. */
export type InstanceState = 'starting' | 'online' | 'stopping' | 'stopped' | 'waiting' | 'errored';

/** Why an instance was restarted, for metrics and history. */
export type RestartCause = 'exit-code' | 'signal' | 'manual' | 'hung';

/**
 * What happened to an instance, in order, as the supervisor knows it: the raw material of the
 * daemon's typed events. Delivered together just before the change's snapshot.
 */
export type InstanceFact =
  | {
      type: 'state';
      state: InstanceState;
      previous: InstanceState;
      pid: number | null;
      reason: string | null;
    }
  | { type: 'spawned'; pid: number }
  | { type: 'restarted'; pid: number; cause: RestartCause }
  | { type: 'ready'; pid: number }
  | {
      type: 'exited';
      pid: number;
      code: number | null;
      signal: SignalName | null;
      uptimeMs: number;
      isFailure: boolean;
      reason: string | null;
    }
  | { type: 'errored'; reason: string };

/** One ended run of an instance. */
export interface ExitRecord {
  /** Epoch ms of the exit. */
  at: number;
  code: number | null;
  signal: SignalName | null;
  /** How long that run lasted. */
  uptimeMs: number;
  /** Whether tend counts it as a failure (not a requested stop, not a "done" exit code). */
  isFailure: boolean;
}

/** Health statistics of one instance; persisted, so they survive a daemon restart. */
export interface InstanceStats {
  /** Processes started after the first one: automatic restarts and `tend restart`. */
  restarts: number;
  /** Of those, how many followed a failure. */
  failureRestarts: number;
  /** Number of ended runs, and their total duration, for the average run time. */
  runs: number;
  totalRunMs: number;
  /** The most recent exits, oldest first (at most EXIT_HISTORY_LIMIT). */
  exits: ExitRecord[];
}

/** How many exits each instance remembers. */
export const EXIT_HISTORY_LIMIT = 50;

/** A plain view of an instance at one moment, for the API, the store and tests. */
export interface InstanceSnapshot {
  name: string;
  instance: number;
  state: InstanceState;
  pid: number | null;
  /** Epoch ms when the current process was spawned, or null when none runs. */
  startedAt: number | null;
  /** Epoch ms of the last state change. */
  stateSince: number;
  /** Epoch ms of the last time the instance went from running to not running, or null. */
  downSince: number | null;
  /** Why the instance is errored, waiting or stopped on its own, in words. */
  reason: string | null;
  /** Epoch ms of a scheduled restart, while `waiting`. */
  nextRestartAt: number | null;
  stats: InstanceStats;
}

/** Whether the user wants a program running or stopped (the same union as the wire's DesiredState). */
export type DesiredState = 'running' | 'stopped';

/** A plain view of a program at one moment: its definition, what the user wants, and its instances. */
export interface ProgramSnapshot {
  name: string;
  spec: ProgramSpec;
  desired: DesiredState;
  instances: InstanceSnapshot[];
}
