import type { ProgramSpec } from '../config/program-spec.js';
import type { SignalName } from '../process/signals.js';

/** The closed set of states an instance can be in. */
export type InstanceState = 'starting' | 'online' | 'stopping' | 'stopped' | 'waiting' | 'errored';

/** How a process ended: an exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: SignalName | null;
}

/** The result of asking the runtime for a process: its pid, or the OS reason it could not start. */
export type SpawnOutcome =
  | { ok: true; pid: number }
  | { ok: false; errno: string | undefined; message: string };

/** What to spawn: a program's definition and the index of the instance. */
export interface SpawnRequest {
  spec: ProgramSpec;
  instance: number;
}

/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Everything the supervisor may do to the world. The real one spawns processes;
 * tests pass a fake with a manual clock, so that policy is tested without processes or sleeps.
 */
export interface SupervisorRuntime {
  now(): number;
  setTimer(delayMs: number, onFire: () => void): TimerHandle;
  /** Starts a process synchronously; `onExit` is called once when it has been reaped. */
  spawn(request: SpawnRequest, onExit: (exit: ProcessExit) => void): SpawnOutcome;
  /** Sends a signal to a process or its whole process group; a process that is already gone is not an error. */
  signal(pid: number, signal: SignalName, target: 'process' | 'group'): void;
}

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
