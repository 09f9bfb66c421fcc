import type { ProgramSpec } from '../config/program-spec.js';
import type { SignalName } from './signals.js';

/** How a process ended: an exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: SignalName | null;
}

/** The result of asking the runtime for a process: its pid, or the OS reason it could not start. */
export type SpawnOutcome =
  | { ok: true; pid: number }
  | { ok: false; errno: string | undefined; message: string };

/** A process another daemon spawned: its pid and start time (field 22 of /proc/<pid>/stat). */
export interface AdoptedProcess {
  pid: number;
  startTime: number;
}

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
  /**
   * Follows a process that a previous daemon spawned (after a crash or a hand-over) as if this
   * one had: `onExit` is called once when it has ended. False when it no longer runs (or the pid
   * now names another process). A runtime that cannot adopt (a test's) leaves it out.
   */
  adopt?(
    request: SpawnRequest,
    process: AdoptedProcess,
    onExit: (exit: ProcessExit) => void,
  ): boolean;
  /** Sends a signal to a process or its whole process group; a process that is already gone is not an error. */
  signal(pid: number, signal: SignalName, target: 'process' | 'group'): void;
}
