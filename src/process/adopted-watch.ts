import type { Containment } from './containment.js';
import { endProcessGroup } from './end-process-group.js';
import { readProcStat } from './proc-table.js';
import type { AdoptedProcess, ProcessExit } from './runtime.js';
import { parseSignal } from './signals.js';

/**
 * How often adopted processes are looked at. An adopted instance's exit must be noticed within
 * 100 ms; the daemon is not its parent, so no SIGCHLD comes, and Node has no pidfd.
 */
export const ADOPTED_POLL_INTERVAL_MS = 50;

interface Watched {
  process: AdoptedProcess;
  containment: Containment;
  onExit: (exit: ProcessExit) => void;
}

/**
 * Follows the processes a previous daemon spawned, with one timer for all: each tick reads
 * /proc/<pid>/stat of each one. Gone, or the pid now names a younger process: it ended, and
 * how is unknown. A zombie (PID 1 has not reaped it yet): its wait status is in field 52, so
 * the exit code or signal is known. Then, as for a spawned instance, what is left of its group
 * and of its containment is ended before `onExit`.
 */
export class AdoptedWatch {
  readonly #watched = new Set<Watched>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs = ADOPTED_POLL_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
  }

  /** Starts following a process; false (and nothing followed) when it no longer runs. */
  add(
    process: AdoptedProcess,
    containment: Containment,
    onExit: (exit: ProcessExit) => void,
  ): boolean {
    const stat = readProcStat(process.pid);
    if (stat?.startTime !== process.startTime || stat.state === 'Z' || stat.state === 'X') {
      return false;
    }
    containment.track(process.pid);
    this.#watched.add({ process, containment, onExit });
    this.#timer ??= setInterval(() => this.#check(), this.#intervalMs);
    return true;
  }

  /** How many processes are followed. */
  get size(): number {
    return this.#watched.size;
  }

  #check(): void {
    for (const watched of this.#watched) {
      const exit = endedHow(watched.process);
      if (exit === undefined) continue;
      this.#watched.delete(watched);
      const { pid } = watched.process;
      void Promise.allSettled([endProcessGroup(pid), watched.containment.end()]).then(() =>
        watched.onExit(exit),
      );
    }
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/** How an adopted process ended, or undefined while it runs; code and signal null when unknown. */
export function endedHow(process: AdoptedProcess): ProcessExit | undefined {
  const stat = readProcStat(process.pid);
  if (stat?.startTime === process.startTime && stat.state !== 'Z' && stat.state !== 'X') {
    return undefined;
  }
  if (stat?.startTime === process.startTime && stat.exitCode !== undefined) {
    return exitFromWaitStatus(stat.exitCode);
  }
  return { code: null, signal: null };
}

/** Decodes a wait status (WIFEXITED / WTERMSIG) into an exit code or a signal name. */
export function exitFromWaitStatus(status: number): ProcessExit {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: parseSignal(signal) ?? null };
}
