import { closeSync, openSync, readSync } from 'node:fs';
import type { Containment } from './containment.js';
import { endProcessGroup } from './end-process-group.js';
import { type ProcStat, parseProcStat } from './proc-table.js';
import type { AdoptedProcess, ProcessExit } from './runtime.js';
import { parseSignal } from './signals.js';

/**
 * How often adopted processes are looked at. An adopted instance's exit must be noticed within
 * 100 ms; the daemon is not its parent, so no SIGCHLD comes, and Node has no pidfd.
 */
export const ADOPTED_POLL_INTERVAL_MS = 80;

interface Watched {
  process: AdoptedProcess;
  /** /proc/<pid>/stat, kept open: read again at offset 0 it is fresh, and it can never name a later process. */
  statFd: number;
  containment: Containment;
  onExit: (exit: ProcessExit) => void;
}

/**
 * Follows the processes a previous daemon spawned, with one timer for all: each tick reads
 * /proc/<pid>/stat of each one, through a descriptor opened once (a third of the cost of
 * opening it each time, and immune to pid reuse). Gone (reaped): it ended, and how is unknown. A zombie (PID 1 has not reaped it yet): its wait status is in field 52, so
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
    let statFd: number;
    try {
      statFd = openSync(`/proc/${process.pid}/stat`, 'r');
    } catch {
      return false;
    }
    const stat = readStat(statFd, process.pid);
    if (stat?.startTime !== process.startTime || !isRunning(stat)) {
      closeSync(statFd);
      return false;
    }
    containment.track(process.pid);
    this.#watched.add({ process, statFd, containment, onExit });
    this.#timer ??= setInterval(() => this.#check(), this.#intervalMs);
    return true;
  }

  /** How many processes are followed. */
  get size(): number {
    return this.#watched.size;
  }

  #check(): void {
    for (const watched of this.#watched) {
      const exit = endedHow(readStat(watched.statFd, watched.process.pid));
      if (exit === undefined) continue;
      this.#watched.delete(watched);
      closeSync(watched.statFd);
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

/** How an adopted process ended, from its stat (undefined: reaped), or undefined while it runs; code and signal null when unknown. */
export function endedHow(stat: ProcStat | undefined): ProcessExit | undefined {
  if (stat === undefined) return { code: null, signal: null };
  if (isRunning(stat)) return undefined;
  return stat.exitCode === undefined
    ? { code: null, signal: null }
    : exitFromWaitStatus(stat.exitCode);
}

function isRunning(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X';
}

const statBuffer = Buffer.alloc(1024);

/** Reads /proc/<pid>/stat again through its open descriptor; undefined once the process is reaped. */
function readStat(fd: number, pid: number): ProcStat | undefined {
  try {
    const length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return length === 0 ? undefined : parseProcStat(pid, statBuffer.toString('latin1', 0, length));
  } catch {
    return undefined;
  }
}

/** Decodes a wait status (WIFEXITED / WTERMSIG) into an exit code or a signal name. */
export function exitFromWaitStatus(status: number): ProcessExit {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: parseSignal(signal) ?? null };
}
