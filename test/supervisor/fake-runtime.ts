import type { SignalName } from '../../src/process/signals.js';
import type {
  AdoptedProcess,
  ProcessExit,
  SpawnOutcome,
  SpawnRequest,
  SupervisorRuntime,
  TimerHandle,
} from '../../src/supervisor/types.js';

/** A process the fake runtime pretends to have spawned. */
export interface FakeProcess {
  pid: number;
  request: SpawnRequest;
  spawnedAt: number;
  isAlive: boolean;
  onExit: (exit: ProcessExit) => void;
}

/** A signal the supervisor sent. */
export interface SignalRecord {
  pid: number;
  signal: SignalName;
  target: 'process' | 'group';
  at: number;
}

interface FakeTimer {
  at: number;
  order: number;
  onFire: () => void;
  isCancelled: boolean;
}

/** Epoch ms the fake clock starts at. */
export const FAKE_START_MS = Date.UTC(2026, 0, 1);

const FIRST_FAKE_PID = 1000;

/**
 * A SupervisorRuntime for tests: a manual clock (`advance` fires due timers in order), recorded spawns
 * and signals, spawn failures on demand, and processes that exit when the test says so.
 */
export class FakeRuntime implements SupervisorRuntime {
  readonly spawns: FakeProcess[] = [];
  readonly signals: SignalRecord[] = [];
  /** Pids adopted, in order (they are in `spawns` too, so that `exit` ends them). */
  readonly adoptions: number[] = [];
  readonly #left = new Map<number, number>();
  #now = FAKE_START_MS;
  #nextPid = FIRST_FAKE_PID;
  #timerCount = 0;
  #timers: FakeTimer[] = [];
  #spawnFailures: Array<{ errno: string; why: string }> = [];

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, onFire: () => void): TimerHandle {
    const timer: FakeTimer = {
      at: this.#now + Math.max(0, delayMs),
      order: this.#timerCount++,
      onFire,
      isCancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.isCancelled = true;
      },
    };
  }

  /**
   * Adopts a process "left by a previous daemon": it is followed like a spawned one (`exit` ends
   * it) when `leave` named it with the same start time, else it is gone and adoption fails.
   */
  adopt(
    request: SpawnRequest,
    adopted: AdoptedProcess,
    onExit: (exit: ProcessExit) => void,
  ): boolean {
    const startTime = this.#left.get(adopted.pid);
    if (startTime === undefined || startTime !== adopted.startTime) return false;
    this.#left.delete(adopted.pid);
    this.adoptions.push(adopted.pid);
    this.spawns.push({ pid: adopted.pid, request, spawnedAt: this.#now, isAlive: true, onExit });
    return true;
  }

  /** Pretends a previous daemon left process `pid` (with this start time) running. */
  leave(pid: number, startTime: number): void {
    this.#left.set(pid, startTime);
  }

  spawn(request: SpawnRequest, onExit: (exit: ProcessExit) => void): SpawnOutcome {
    const failure = this.#spawnFailures.shift();
    if (failure) {
      const message = `cannot start ${request.spec.command}: ${failure.why}`;
      return { ok: false, errno: failure.errno, message };
    }
    const process: FakeProcess = {
      pid: this.#nextPid++,
      request,
      spawnedAt: this.#now,
      isAlive: true,
      onExit,
    };
    this.spawns.push(process);
    return { ok: true, pid: process.pid };
  }

  signal(pid: number, signal: SignalName, target: 'process' | 'group'): void {
    this.signals.push({ pid, signal, target, at: this.#now });
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((timer) => !timer.isCancelled && timer.at <= until)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.#now = due.at;
      due.onFire();
    }
    this.#now = until;
  }

  /** Makes the next spawn fail with this OS error, worded as the real runtime does (`cannot start <command>: <why>`). */
  failNextSpawn(errno = 'ENOENT', why = 'no such file or directory'): void {
    this.#spawnFailures.push({ errno, why });
  }

  /** Ends a fake process with an exit code or a signal, as the real runtime does once it is reaped. */
  exit(pid: number, exit: Partial<ProcessExit>): void {
    const process = this.spawns.find((candidate) => candidate.pid === pid);
    if (process === undefined) throw new Error(`No fake process ${pid}`);
    if (!process.isAlive) throw new Error(`Fake process ${pid} has already exited`);
    process.isAlive = false;
    process.onExit({ code: exit.code ?? null, signal: exit.signal ?? null });
  }

  /** The most recent spawn. */
  get lastSpawn(): FakeProcess {
    const last = this.spawns.at(-1);
    if (last === undefined) throw new Error('Nothing was spawned');
    return last;
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimerCount(): number {
    return this.#timers.filter((timer) => !timer.isCancelled).length;
  }

  /** Signals sent to one pid, as `signal/target` strings such as `SIGTERM/group`. */
  signalsTo(pid: number): string[] {
    return this.signals
      .filter((record) => record.pid === pid)
      .map((record) => `${record.signal}/${record.target}`);
  }
}
