import { formatDuration, formatElapsed } from '../config/human-units.js';
import type { ProgramSpec } from '../config/program-spec.js';
import type { NotifyDigest } from '../notify/notify-parser.js';
import type { SupervisorRuntime, TimerHandle } from '../process/runtime.js';

/** How often the resident memory of an instance with `maxMemoryBytes` is read. */
export const MEMORY_CHECK_INTERVAL_MS = 1_000;

/** Checks in a row above `maxMemoryBytes` that make an instance restart (a short spike does not). */
export const MEMORY_CHECKS_OVER_LIMIT = 3;

/** Shortest time between two STATUS updates told to the core (each is an event, and the bus keeps 4096): the latest text always gets through. */
export const STATUS_MIN_INTERVAL_MS = 1_000;

/** What the watch tells the core. */
export interface HangActions {
  declareHung(name: string, instance: number, pid: number, reason: string): void;
  markReady(name: string, instance: number, pid: number): void;
  noteStatus(name: string, instance: number, pid: number, text: string): void;
}

/** What a HangWatch needs: the clock, the core, and how to read memory and the last output. */
export interface HangWatchOptions {
  runtime: Pick<SupervisorRuntime, 'now' | 'setTimer'>;
  actions: HangActions;
  /** Resident memory of a process in bytes, or undefined when it is gone. */
  residentBytes(pid: number): number | undefined;
  /** Epoch ms of the latest line an instance wrote (stdout or stderr), or undefined. */
  lastOutputAt(name: string, instance: number): number | undefined;
  memoryCheckIntervalMs?: number;
}

interface Run {
  spec: ProgramSpec;
  pid: number;
  spawnedAt: number;
  /** Latest WATCHDOG=1, or when the watchdog was armed. */
  lastHeartbeatAt: number;
  isReady: boolean;
  isStopping: boolean;
  isHung: boolean;
  watchdogTimer: TimerHandle | null;
  silenceTimer: TimerHandle | null;
  memoryTimer: TimerHandle | null;
  /** Checks in a row above the memory limit. */
  overMemoryChecks: number;
  statusSentAt: number | null;
  pendingStatus: string | undefined;
  statusTimer: TimerHandle | null;
}

/**
 * Decides when a running instance is hung from what it says and does: no WATCHDOG=1 within
 * `watchdogMs` once ready, resident memory above `maxMemoryBytes` for MEMORY_CHECKS_OVER_LIMIT
 * checks in a row, or no output for `silenceTimeoutMs`. It also turns READY=1 into ready (with
 * `readiness: notify`) and passes STATUS on, at most every STATUS_MIN_INTERVAL_MS. One timer per
 * setting and run, on the runtime's clock: a heartbeat only writes a number, and a timer that
 * fires early is set again from the latest heartbeat or line.
 */
export class HangWatch {
  readonly #runtime: HangWatchOptions['runtime'];
  readonly #actions: HangActions;
  readonly #residentBytes: HangWatchOptions['residentBytes'];
  readonly #lastOutputAt: HangWatchOptions['lastOutputAt'];
  readonly #memoryIntervalMs: number;
  readonly #runs = new Map<string, Run>();

  constructor(options: HangWatchOptions) {
    this.#runtime = options.runtime;
    this.#actions = options.actions;
    this.#residentBytes = options.residentBytes;
    this.#lastOutputAt = options.lastOutputAt;
    this.#memoryIntervalMs = options.memoryCheckIntervalMs ?? MEMORY_CHECK_INTERVAL_MS;
  }

  /** A new process of an instance: its silence and memory watches start now. */
  spawned(spec: ProgramSpec, instance: number, pid: number): void {
    this.ended(spec.name, instance);
    const now = this.#runtime.now();
    const run: Run = {
      spec,
      pid,
      spawnedAt: now,
      lastHeartbeatAt: now,
      isReady: false,
      isStopping: false,
      isHung: false,
      watchdogTimer: null,
      silenceTimer: null,
      memoryTimer: null,
      overMemoryChecks: 0,
      statusSentAt: null,
      pendingStatus: undefined,
      statusTimer: null,
    };
    this.#runs.set(keyOf(spec.name, instance), run);
    if (spec.silenceTimeoutMs !== undefined) this.#armSilence(run, instance, now);
    if (spec.maxMemoryBytes !== undefined) this.#armMemory(run, instance);
  }

  /** The process became ready: its watchdog starts now. */
  /** Whether the watches of process `pid` of an instance run (it was told `spawned`). */
  isWatching(name: string, instance: number, pid: number): boolean {
    return this.#runs.get(keyOf(name, instance))?.pid === pid;
  }

  ready(name: string, instance: number, pid: number): void {
    const run = this.#current(name, instance, pid);
    if (!run || run.isReady) return;
    run.isReady = true;
    run.lastHeartbeatAt = this.#runtime.now();
    if (run.spec.watchdogMs !== undefined && !run.isStopping) this.#armWatchdog(run, instance);
  }

  /** The process of an instance ended (or the instance is forgotten): its watches stop. */
  ended(name: string, instance: number, pid?: number): void {
    const key = keyOf(name, instance);
    const run = this.#runs.get(key);
    if (!run || (pid !== undefined && run.pid !== pid)) return;
    stopTimers(run);
    this.#runs.delete(key);
  }

  /** What the current process of an instance said on its notify channel. */
  message(name: string, instance: number, digest: NotifyDigest): void {
    const run = this.#runs.get(keyOf(name, instance));
    if (!run || run.isHung) return;
    if (digest.heartbeats > 0) run.lastHeartbeatAt = this.#runtime.now();
    if (digest.status !== undefined) this.#passStatus(run, instance, digest.status);
    if (digest.isReady && run.spec.readiness === 'notify') {
      this.#actions.markReady(name, instance, run.pid);
    }
    if (digest.isStopping || digest.isShutdown) {
      // It is going away on its own: a late heartbeat or a quiet shutdown is not a hang.
      run.isStopping = true;
      run.watchdogTimer?.cancel();
      run.watchdogTimer = null;
      run.silenceTimer?.cancel();
      run.silenceTimer = null;
    }
    if (digest.isWatchdogTrigger) {
      this.#hung(run, instance, 'hung: the program reported itself hung (WATCHDOG=trigger)');
    }
  }

  /** Forgets every run of a program (deleted), or of all (shutdown). */
  forget(name?: string): void {
    for (const [key, run] of this.#runs) {
      if (name === undefined || run.spec.name === name) {
        stopTimers(run);
        this.#runs.delete(key);
      }
    }
  }

  #current(name: string, instance: number, pid: number): Run | undefined {
    const run = this.#runs.get(keyOf(name, instance));
    return run && run.pid === pid && !run.isHung ? run : undefined;
  }

  #armWatchdog(run: Run, instance: number): void {
    const watchdogMs = run.spec.watchdogMs ?? 0;
    const dueAt = run.lastHeartbeatAt + watchdogMs;
    run.watchdogTimer = this.#runtime.setTimer(dueAt - this.#runtime.now(), () => {
      run.watchdogTimer = null;
      if (!this.#isCurrent(run, instance) || run.isStopping) return;
      const quietMs = this.#runtime.now() - run.lastHeartbeatAt;
      if (quietMs < watchdogMs) {
        this.#armWatchdog(run, instance);
        return;
      }
      this.#hung(
        run,
        instance,
        `hung: no heartbeat for ${formatElapsed(quietMs)} (--watchdog ${formatDuration(watchdogMs)})`,
      );
    });
  }

  #armSilence(run: Run, instance: number, lastAt: number): void {
    const timeoutMs = run.spec.silenceTimeoutMs ?? 0;
    run.silenceTimer = this.#runtime.setTimer(lastAt + timeoutMs - this.#runtime.now(), () => {
      run.silenceTimer = null;
      if (!this.#isCurrent(run, instance) || run.isStopping) return;
      const last = Math.max(run.spawnedAt, this.#lastOutputAt(run.spec.name, instance) ?? 0);
      const quietMs = this.#runtime.now() - last;
      if (quietMs < timeoutMs) {
        this.#armSilence(run, instance, last);
        return;
      }
      this.#hung(
        run,
        instance,
        `hung: no output for ${formatElapsed(quietMs)} (--silence-timeout ${formatDuration(timeoutMs)})`,
      );
    });
  }

  #armMemory(run: Run, instance: number): void {
    run.memoryTimer = this.#runtime.setTimer(this.#memoryIntervalMs, () => {
      run.memoryTimer = null;
      if (!this.#isCurrent(run, instance)) return;
      const limit = run.spec.maxMemoryBytes ?? Number.POSITIVE_INFINITY;
      const bytes = this.#residentBytes(run.pid);
      if (bytes === undefined) return;
      run.overMemoryChecks = bytes > limit ? run.overMemoryChecks + 1 : 0;
      if (run.overMemoryChecks >= MEMORY_CHECKS_OVER_LIMIT) {
        this.#hung(
          run,
          instance,
          `memory: ${describeBytes(bytes)} resident, above --max-memory ${describeBytes(limit)} in ${run.overMemoryChecks} checks ${formatDuration(this.#memoryIntervalMs)} apart`,
        );
        return;
      }
      this.#armMemory(run, instance);
    });
  }

  #passStatus(run: Run, instance: number, text: string): void {
    const now = this.#runtime.now();
    run.pendingStatus = text;
    if (run.statusTimer !== null) return;
    const waitMs = run.statusSentAt === null ? 0 : run.statusSentAt + STATUS_MIN_INTERVAL_MS - now;
    if (waitMs <= 0) {
      this.#sendStatus(run, instance);
      return;
    }
    run.statusTimer = this.#runtime.setTimer(waitMs, () => {
      run.statusTimer = null;
      if (this.#isCurrent(run, instance)) this.#sendStatus(run, instance);
    });
  }

  #sendStatus(run: Run, instance: number): void {
    const text = run.pendingStatus;
    if (text === undefined) return;
    run.pendingStatus = undefined;
    run.statusSentAt = this.#runtime.now();
    this.#actions.noteStatus(run.spec.name, instance, run.pid, text);
  }

  #hung(run: Run, instance: number, reason: string): void {
    run.isHung = true;
    stopTimers(run);
    this.#actions.declareHung(run.spec.name, instance, run.pid, reason);
  }

  #isCurrent(run: Run, instance: number): boolean {
    return this.#runs.get(keyOf(run.spec.name, instance)) === run && !run.isHung;
  }
}

function stopTimers(run: Run): void {
  for (const timer of [run.watchdogTimer, run.silenceTimer, run.memoryTimer, run.statusTimer]) {
    timer?.cancel();
  }
  run.watchdogTimer = null;
  run.silenceTimer = null;
  run.memoryTimer = null;
  run.statusTimer = null;
}

function keyOf(name: string, instance: number): string {
  return `${name}:${instance}`;
}

/** Bytes as the memory reason writes them: whole MiB, or KiB below 1 MiB. */
export function describeBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round(bytes / (1024 * 1024))} MiB`
    : `${Math.round(bytes / 1024)} KiB`;
}
