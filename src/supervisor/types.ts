import type { ProgramSpec } from '../config/program-spec.js';
import type { ProbeName } from '../health/probe-scheduler.js';
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
  /** A ready process's readiness probe failed its threshold: out of rotation, still `online`. */
  | { type: 'not-ready'; pid: number; reason: string }
  | { type: 'probe-failed'; pid: number; probe: ProbeName; reason: string }
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
  /** Why tend ended it, when tend did so on its own (`hung: liveness failed 3 times (…)`, `task ended (…)`). */
  reason?: string;
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
  /** What the current (or last) process said about itself with STATUS=…, or null. */
  statusText: string | null;
  /** Epoch ms of a scheduled restart, while `waiting`. */
  nextRestartAt: number | null;
  /** Why the running process gets no traffic although `online` (its readiness probe fails), or null. */
  notReady: string | null;
  /** The latest failed probe check of the instance (kept across its processes), or null. */
  lastProbeFailure: ProbeFailure | null;
  stats: InstanceStats;
}

/** One failed probe check, as the instance keeps it. */
export interface ProbeFailure {
  probe: ProbeName;
  reason: string;
  /** Epoch ms of the check's result. */
  at: number;
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
