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
