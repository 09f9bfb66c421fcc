import type { ProbeSpec } from '../config/probe-spec.js';
import type { SupervisorRuntime, TimerHandle } from '../process/runtime.js';
import { failed, type ProbeCheck, type ProbeResult } from './probe-result.js';

/** How soon a readiness check that failed before the instance was first ready runs again (at most its period). */
export const FIRST_READINESS_RETRY_MS = 100;

/** Which of an instance's probes a result is from. */
export type ProbeName = 'startup' | 'readiness' | 'liveness';

/** One probe as the scheduler needs it: its timing and thresholds, and the check to run. */
export interface ScheduledProbe {
  spec: Pick<ProbeSpec, 'periodMs' | 'failureThreshold' | 'successThreshold' | 'initialDelayMs'>;
  check: ProbeCheck;
}

/** What the scheduler reports; it decides nothing itself. */
export interface ProbeSchedulerEvents {
  /** The startup probe passed, or there is none: readiness and liveness now run. */
  onStarted?(): void;
  /** Readiness passed `successThreshold` times in a row while not ready (or there is no readiness probe). */
  onReady?(): void;
  /** Readiness failed `failureThreshold` times in a row while ready. */
  onNotReady?(reason: string): void;
  /** Liveness (or startup) failed `failureThreshold` times in a row; the scheduler has stopped. */
  onHung?(reason: string): void;
  /** Every check's result, for the instance's history. */
  onResult?(probe: ProbeName, result: ProbeResult): void;
}

/** The probes of one instance and how to report on it. */
export interface ProbeSchedulerOptions {
  runtime: Pick<SupervisorRuntime, 'now' | 'setTimer'>;
  startup?: ScheduledProbe | undefined;
  readiness?: ScheduledProbe | undefined;
  liveness?: ScheduledProbe | undefined;
  events: ProbeSchedulerEvents;
  /**
   * Periodic checks run on their period's grid (nextOnGrid), so that many instances' checks
   * share wake-ups; off, each check runs exactly a period after the one before.
   */
  isOnGrid?: boolean;
}

/**
 * Runs the probes of one instance (one process) with Kubernetes' semantics: startup gates the
 * others; readiness toggles ready/not ready by thresholds and never restarts anything; liveness
 * reports the instance hung after `failureThreshold` failures in a row. Pure: the clock, the
 * timers and the checks are injected. Start it when the process spawns, stop it when it exits.
 */
export class ProbeScheduler {
  readonly #options: ProbeSchedulerOptions;
  readonly #abort = new AbortController();
  readonly #timers = new Map<ProbeName, TimerHandle>();
  readonly #running = new Set<ProbeName>();
  readonly #streaks = new Map<ProbeName, { successes: number; failures: number }>();
  #startedAt = 0;
  #isStarted = false;
  #isReady = false;
  #hasBeenReady = false;
  #isStopped = false;

  constructor(options: ProbeSchedulerOptions) {
    this.#options = options;
  }

  /** Whether the startup probe has passed (or there is none). */
  get isStarted(): boolean {
    return this.#isStarted;
  }

  /** Whether the instance counts as ready now. */
  get isReady(): boolean {
    return this.#isReady;
  }

  /** Starts the clock: every probe's `initialDelayMs` counts from now (the process spawned). */
  start(): void {
    this.#startedAt = this.#options.runtime.now();
    if (this.#options.startup) this.#schedule('startup', this.#options.startup.spec.initialDelayMs);
    else this.#passStartup();
  }

  /** Stops every timer and aborts the checks under way; nothing is reported after this. */
  stop(): void {
    if (this.#isStopped) return;
    this.#isStopped = true;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    this.#abort.abort();
  }

  /**
   * Runs a probe now instead of at its next period (the proxy found the instance suspect), unless
   * it is running already or not started yet (startup still gates it).
   */
  runNow(name: ProbeName): void {
    if (this.#isStopped || this.#running.has(name) || !this.#timers.has(name)) return;
    this.#timers.get(name)?.cancel();
    this.#timers.delete(name);
    void this.#run(name);
  }

  #probe(name: ProbeName): ScheduledProbe | undefined {
    return this.#options[name];
  }

  #passStartup(): void {
    this.#isStarted = true;
    this.#options.events.onStarted?.();
    if (this.#isStopped) return;
    if (!this.#options.readiness) this.#becomeReady();
    for (const name of ['readiness', 'liveness'] as const) {
      const probe = this.#probe(name);
      if (probe === undefined) continue;
      const dueAt = this.#startedAt + probe.spec.initialDelayMs;
      this.#schedule(name, Math.max(0, dueAt - this.#options.runtime.now()));
    }
  }

  #schedule(name: ProbeName, delayMs: number): void {
    if (this.#isStopped) return;
    if (delayMs <= 0) {
      void this.#run(name);
      return;
    }
    this.#timers.set(
      name,
      this.#options.runtime.setTimer(delayMs, () => {
        this.#timers.delete(name);
        void this.#run(name);
      }),
    );
  }

  async #run(name: ProbeName): Promise<void> {
    const probe = this.#probe(name);
    if (probe === undefined || this.#isStopped) return;
    const runStartedAt = this.#options.runtime.now();
    this.#running.add(name);
    let result: ProbeResult;
    try {
      result = await probe.check(this.#abort.signal);
    } catch (error) {
      result = failed(`the ${name} probe could not run: ${(error as Error).message ?? error}`);
    }
    this.#running.delete(name);
    if (this.#isStopped) return;
    this.#options.events.onResult?.(name, result);
    if (this.#isStopped) return;
    const isDone = this.#count(name, probe, result);
    if (isDone || this.#isStopped) return;
    // The next run is due a period after this one started, moved onto the period's grid; a run
    // that took longer than that is followed at once, never overlapped.
    const periodMs = this.#periodOf(name, probe);
    const nextAt = this.#options.isOnGrid
      ? nextOnGrid(runStartedAt, periodMs)
      : runStartedAt + periodMs;
    this.#schedule(name, Math.max(0, nextAt - this.#options.runtime.now()));
  }

  /** Counts a result into the probe's streaks and reports a change; true when the probe is done. */
  #count(name: ProbeName, probe: ScheduledProbe, result: ProbeResult): boolean {
    const streak = this.#streaks.get(name) ?? { successes: 0, failures: 0 };
    this.#streaks.set(name, streak);
    if (result.ok) {
      streak.successes++;
      streak.failures = 0;
    } else {
      streak.failures++;
      streak.successes = 0;
    }
    const { failureThreshold, successThreshold } = probe.spec;
    const reason = result.reason ?? 'failed';
    switch (name) {
      case 'startup':
        if (result.ok) {
          this.#passStartup();
          return true;
        }
        if (streak.failures >= failureThreshold) {
          this.#hang(`hung: startup failed ${times(streak.failures)} (${reason})`);
          return true;
        }
        return false;
      case 'readiness':
        if (!this.#isReady && streak.successes >= successThreshold) this.#becomeReady();
        else if (this.#isReady && streak.failures >= failureThreshold) {
          this.#isReady = false;
          this.#options.events.onNotReady?.(
            `not ready: readiness failed ${times(streak.failures)} (${reason})`,
          );
        }
        return false;
      case 'liveness':
        if (streak.failures >= failureThreshold) {
          this.#hang(`hung: liveness failed ${times(streak.failures)} (${reason})`);
          return true;
        }
        return false;
    }
  }

  /**
   * A probe's period, except for readiness before the first pass: a failure there changes
   * nothing but the wait (the instance is not ready yet), so it is retried within
   * FIRST_READINESS_RETRY_MS, and a restarted server is back in rotation as soon as it answers.
   */
  #periodOf(name: ProbeName, probe: ScheduledProbe): number {
    if (name === 'readiness' && !this.#hasBeenReady)
      return Math.min(probe.spec.periodMs, FIRST_READINESS_RETRY_MS);
    return probe.spec.periodMs;
  }

  #becomeReady(): void {
    this.#isReady = true;
    this.#hasBeenReady = true;
    this.#options.events.onReady?.();
  }

  #hang(reason: string): void {
    this.stop();
    this.#options.events.onHung?.(reason);
  }
}

/**
 * When a check that started at `startedAt` runs next: on the grid of its period (multiples of
 * it on the clock), the grid point nearest to a period later, so never sooner than half a
 * period. Checks of one period then run at the same moments in every instance, and the daemon
 * wakes once for all of them (shared-wakeups.ts). From the second interval on, checks are
 * exactly a period apart; only the first interval changes, by at most half a period.
 */
export function nextOnGrid(startedAt: number, periodMs: number): number {
  return Math.round((startedAt + periodMs) / periodMs) * periodMs;
}

function times(count: number): string {
  return count === 1 ? 'once' : `${count} times`;
}
