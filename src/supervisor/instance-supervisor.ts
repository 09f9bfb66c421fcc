import { formatDuration } from '../config/human-units.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { TendError } from '../errors.js';
import { nextRestartDelay } from './backoff.js';
import { copyInstanceStats, emptyInstanceStats, recordExit } from './instance-stats.js';
import { addRestart } from './intensity.js';
import { needsReadinessCheck, startDeadlineMs } from './readiness.js';
import {
  backoffReason,
  ENDED_UNSEEN_REASON,
  gaveUpReason,
  notReadyReason,
  spawnFailedReason,
  stayedDownReason,
} from './reasons.js';
import { isDoneExit, isFailureExit, shouldRestart } from './restart-policy.js';
import { type InstanceEvent, isStateTransition, lookupTransition } from './transitions.js';
import type {
  AdoptedProcess,
  InstanceFact,
  InstanceSnapshot,
  InstanceState,
  InstanceStats,
  ProbeFailure,
  ProcessExit,
  RestartCause,
  SpawnOutcome,
  SupervisorRuntime,
  TimerHandle,
} from './types.js';

/** What an InstanceSupervisor needs: the program, which instance, the world, and who to tell about changes. */
export interface InstanceSupervisorOptions {
  spec: ProgramSpec;
  index: number;
  runtime: SupervisorRuntime;
  /** Called once after each action or event that changed the instance, with its new snapshot. */
  onChange: (snapshot: InstanceSnapshot) => void;
  /** Told what happened (spawned, exited, state changes…), in order, just before each `onChange`. */
  onFact?: (fact: InstanceFact) => void;
  /** Statistics restored from disk. */
  stats?: InstanceStats;
}

/** What `start()` or `restart()` resolves to when a `stop()` came before the deferred start could happen. */
export const CANCELLED_START: SpawnOutcome = Object.freeze({
  ok: false,
  errno: 'ECANCELED',
  message: 'a stop was requested before the instance could start again',
});

interface RunningProcess {
  pid: number;
  startedAt: number;
  /** Whether a readiness check passed (not just "ready on spawn"): such a run counts as stable. */
  isReadyByCheck: boolean;
  /** Fires when the process has not become ready within startTimeoutMs. */
  startTimer: TimerHandle | null;
  /** Whether it was stopped for not becoming ready in time: its exit is a young death, whatever its uptime. */
  isStartTimedOut: boolean;
  /** Why it was declared hung and is being killed (liveness, heartbeat…), or null: its exit is then a failure. */
  hungReason: string | null;
  /** Why this ready process is out of rotation (its readiness probe fails), or null. */
  notReady: string | null;
}

interface SpawnCause {
  /** Why this is a restart (automatic or `restart()`); null for a plain `start()`. */
  restartCause: RestartCause | null;
  isAfterFailure: boolean;
}

type ExitedFact = Extract<InstanceFact, { type: 'exited' }>;

interface PendingStart {
  isRestart: boolean;
  waiters: Array<(outcome: SpawnOutcome) => void>;
}

interface StopWaiter {
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * Supervises one instance of a program: spawns it, restarts it per policy with backoff and restart
 * intensity, stops it with escalation. Every state change goes through the table in transitions.ts.
 */
export class InstanceSupervisor {
  readonly #index: number;
  readonly #runtime: SupervisorRuntime;
  readonly #onChange: (snapshot: InstanceSnapshot) => void;
  readonly #onFact: (fact: InstanceFact) => void;
  #spec: ProgramSpec;
  #state: InstanceState = 'stopped';
  #stateSince: number;
  #downSince: number | null;
  #reason: string | null = null;
  /** What the current process last said about itself (STATUS=…), or null. */
  #statusText: string | null = null;
  #stats: InstanceStats;
  #process: RunningProcess | null = null;
  #restartTimer: TimerHandle | null = null;
  #nextRestartAt: number | null = null;
  #stopTimer: TimerHandle | null = null;
  #stopWaiter: StopWaiter | null = null;
  #pendingStart: PendingStart | null = null;
  #consecutiveYoungDeaths = 0;
  /** Times of recent young deaths on the run clock (see #runClock). */
  #youngDeaths: number[] = [];
  /** Why the latest runs of this crash loop were not ready (another process on the port), for the reasons. */
  #notReadyBecause: string | null = null;
  #pausedMs = 0;
  #waitingSince: number | null = null;
  #isChanged = false;
  /** What happened since the last notification, delivered with it. */
  #facts: InstanceFact[] = [];
  /** Whether the current stop had to escalate to SIGKILL. */
  #isStopEscalated = false;
  /** Why the current stop was asked for, when it is not a plain stop (`replace`): kept with the exit. */
  #stopReason: string | null = null;
  /** The latest failed probe check, kept across processes for `tend status`. */
  #lastProbeFailure: ProbeFailure | null = null;

  constructor(options: InstanceSupervisorOptions) {
    this.#spec = options.spec;
    this.#index = options.index;
    this.#runtime = options.runtime;
    this.#onChange = options.onChange;
    this.#onFact = options.onFact ?? (() => {});
    this.#stats = options.stats ? copyInstanceStats(options.stats) : emptyInstanceStats();
    this.#stateSince = this.#runtime.now();
    this.#downSince = this.#stats.exits.at(-1)?.at ?? null;
  }

  /** The instance's current state. */
  get state(): InstanceState {
    return this.#state;
  }

  /** Pid of the current process, or null when none runs. */
  get pid(): number | null {
    return this.#process?.pid ?? null;
  }

  /** Why the running process gets no traffic although `online` (its readiness probe fails), or null. */
  get notReady(): string | null {
    return this.#process?.notReady ?? null;
  }

  /** 0-based index of the instance within its program. */
  get index(): number {
    return this.#index;
  }

  /** The definition used for the next spawn and the next exit decision. */
  get spec(): ProgramSpec {
    return this.#spec;
  }

  /**
   * Starts the instance: from stopped, errored or waiting it spawns before returning, forgetting past
   * crashes (backoff, intensity, errored). While running it does nothing and resolves to the current pid;
   * while stopping it starts once the process has exited. Resolves to the spawn result, so that an OS
   * error reaches the caller; a failed spawn leaves the instance errored, never in a restart loop.
   */
  start(): Promise<SpawnOutcome> {
    const outcome = this.#requestStart(false);
    this.#notifyIfChanged();
    return Promise.resolve(outcome);
  }

  /** Stops the instance if it runs, then starts it (counted as a restart); also the way out of errored. */
  restart(): Promise<SpawnOutcome> {
    if (lookupTransition(this.#state, 'stop') === 'stopping') this.#beginStop();
    const outcome = this.#requestStart(true);
    this.#notifyIfChanged();
    return Promise.resolve(outcome);
  }

  /**
   * Stops the instance: the stop signal to its process group, then SIGKILL to the group after
   * stopTimeoutMs. Resolves once the process has exited. Cancels a scheduled restart and a start that
   * was waiting for a stop to end. From waiting, errored or stopped it resolves at once, stopped.
   * `reason` is kept with the exit record (an ended task's: `task ended (<id>, <end>)`); without
   * one the exit says `stopped on request`.
   */
  stop(reason?: string): Promise<void> {
    this.#cancelPendingStart();
    const transition = lookupTransition(this.#state, 'stop');
    if (transition === 'stopping') {
      this.#beginStop();
      if (reason !== undefined) this.#stopReason = reason;
    } else if (transition === 'stopped') {
      this.#leaveWaiting();
      this.#move('stop');
      this.#reason = null;
    }
    this.#notifyIfChanged();
    return this.#stopWaiter?.promise ?? Promise.resolve();
  }

  /**
   * Tells the supervisor that the current process passed its readiness check (`starting` → `online`).
   * With `pid`, a late answer about an earlier process is ignored. Only matters for programs where
   * needsReadinessCheck(spec) holds; the others are online as soon as they are spawned.
   */
  markReady(pid?: number): void {
    const running = this.#process;
    if (running === null || (pid !== undefined && pid !== running.pid)) return;
    if (this.#state === 'online' && running.notReady !== null) {
      // Back in rotation: its readiness probe passes again.
      running.notReady = null;
      this.#facts.push({ type: 'ready', pid: running.pid });
      this.#isChanged = true;
      this.#notifyIfChanged();
      return;
    }
    if (lookupTransition(this.#state, 'ready') !== 'online') return;
    running.isReadyByCheck = true;
    running.startTimer?.cancel();
    running.startTimer = null;
    this.#notReadyBecause = null;
    this.#reason = null;
    this.#move('ready');
    this.#facts.push({ type: 'ready', pid: running.pid });
    this.#notifyIfChanged();
  }

  /**
   * Tells the supervisor that the `online` process `pid` failed its readiness probe: it stays
   * `online` (nothing is restarted) but is not ready (isInstanceReady) until `markReady(pid)`.
   */
  markNotReady(pid: number, reason: string): void {
    const running = this.#process;
    if (running === null || pid !== running.pid || this.#state !== 'online') return;
    if (running.notReady !== null) return;
    running.notReady = reason;
    this.#facts.push({ type: 'not-ready', pid, reason });
    this.#isChanged = true;
    this.#notifyIfChanged();
  }

  /** Keeps the latest failed probe check of process `pid` for the instance's history; a stale pid is ignored. */
  noteProbeFailure(pid: number, failure: ProbeFailure): void {
    if (this.#process?.pid !== pid) return;
    this.#lastProbeFailure = { ...failure };
    this.#facts.push({ type: 'probe-failed', pid, probe: failure.probe, reason: failure.reason });
    this.#isChanged = true;
    this.#notifyIfChanged();
  }

  /**
   * Tells the supervisor why the current `starting` process is not ready, such as another process
   * listening on its port: shown as the reason meanwhile, and named when the instance backs off or
   * gives up. With a pid that is no longer current, it is ignored.
   */
  noteNotReady(pid: number, problem: string): void {
    const running = this.#process;
    if (running === null || pid !== running.pid || this.#state !== 'starting') return;
    this.#notReadyBecause = problem;
    this.#reason = problem;
    this.#isChanged = true;
    this.#notifyIfChanged();
  }

  /**
   * Tells the supervisor that process `pid` is hung (a liveness probe failed, a heartbeat is
   * late…): it is stopped like a requested stop (stop signal to its group, SIGKILL after the stop
   * timeout: a hung process often ignores signals), its exit is recorded as a failure with
   * `reason`, and it is restarted per its policy with cause `hung`. A stale pid is ignored, and so
   * is a second report while the first kill is under way.
   */
  declareHung(pid: number, reason: string): void {
    const running = this.#process;
    if (running === null || running.pid !== pid || running.hungReason !== null) return;
    if (this.#state !== 'starting' && this.#state !== 'online') return;
    running.hungReason = reason;
    running.startTimer?.cancel();
    running.startTimer = null;
    this.#reason = reason;
    this.#terminate(running);
    this.#isChanged = true;
    this.#notifyIfChanged();
  }

  /**
   * Keeps what process `pid` says about itself (sd_notify's STATUS=…), shown with the instance
   * until its next process starts. Returns false, keeping nothing, when `pid` is not the current process.
   */
  noteStatus(pid: number, text: string): boolean {
    if (this.#process === null || this.#process.pid !== pid) return false;
    this.#statusText = text;
    return true;
  }

  /**
   * Takes over a process that a previous daemon of this home started (after its crash, or at a
   * hand-over): the same pid, `online`, its exit followed from now on as if this daemon had spawned
   * it. Only from `stopped` (a fresh supervisor); false when the process is gone or the runtime
   * cannot adopt, and then nothing changed.
   */
  adopt(adopted: AdoptedProcess & { startedAt: number }): boolean {
    if (this.#state !== 'stopped' || this.#runtime.adopt === undefined) return false;
    let running: RunningProcess | null = null;
    const isAdopted = this.#runtime.adopt(
      { spec: this.#spec, instance: this.#index },
      adopted,
      (exit) => {
        if (running !== null) this.#handleExit(running, exit);
      },
    );
    if (!isAdopted) {
      this.#recordUnseenExit(adopted.startedAt);
      return false;
    }
    running = {
      pid: adopted.pid,
      startedAt: adopted.startedAt,
      isReadyByCheck: true,
      startTimer: null,
      isStartTimedOut: false,
      hungReason: null,
      notReady: null,
    };
    this.#process = running;
    this.#move('start');
    this.#move('ready');
    this.#facts.push({ type: 'ready', pid: adopted.pid });
    this.#notifyIfChanged();
    return true;
  }

  /**
   * The history of a run that ended while no daemon ran (found gone at adoption): how it ended
   * is unknown, and said so; its end is when it was found gone, an upper bound.
   */
  #recordUnseenExit(startedAt: number): void {
    const now = this.#runtime.now();
    recordExit(this.#stats, {
      at: now,
      code: null,
      signal: null,
      uptimeMs: Math.max(0, now - startedAt),
      isFailure: true,
      reason: ENDED_UNSEEN_REASON,
    });
    this.#downSince = now;
  }

  /** Replaces the definition; it applies from the next spawn and the next exit on. */
  updateSpec(spec: ProgramSpec): void {
    this.#spec = spec;
  }

  /** A plain copy of the instance's state and statistics. */
  snapshot(): InstanceSnapshot {
    return {
      name: this.#spec.name,
      instance: this.#index,
      state: this.#state,
      pid: this.#process?.pid ?? null,
      startedAt: this.#process?.startedAt ?? null,
      stateSince: this.#stateSince,
      downSince: this.#downSince,
      reason: this.#reason,
      statusText: this.#statusText,
      nextRestartAt: this.#nextRestartAt,
      notReady: this.#process?.notReady ?? null,
      lastProbeFailure: this.#lastProbeFailure && { ...this.#lastProbeFailure },
      stats: copyInstanceStats(this.#stats),
    };
  }

  #requestStart(isRestart: boolean): SpawnOutcome | Promise<SpawnOutcome> {
    const transition = lookupTransition(this.#state, 'start');
    if (transition === 'ignored') return this.#runningOutcome();
    if (transition === 'deferred') return this.#deferStart(isRestart);
    this.#leaveWaiting();
    this.#forgetCrashes();
    this.#move('start');
    return this.#spawn({ restartCause: isRestart ? 'manual' : null, isAfterFailure: false });
  }

  #spawn(cause: SpawnCause): SpawnOutcome {
    let running: RunningProcess | undefined;
    const outcome = this.#spawnSafely((exit) => {
      if (running !== undefined) this.#handleExit(running, exit);
    });
    if (!outcome.ok) {
      this.#move('spawn-failed');
      this.#reason = spawnFailedReason(this.#spec.command, outcome);
      this.#facts.push({ type: 'errored', reason: this.#reason });
      return outcome;
    }
    const now = this.#runtime.now();
    running = {
      pid: outcome.pid,
      startedAt: now,
      isReadyByCheck: false,
      startTimer: null,
      isStartTimedOut: false,
      hungReason: null,
      notReady: null,
    };
    this.#process = running;
    this.#stateSince = now;
    this.#reason = null;
    this.#statusText = null;
    // The move to `starting` came before the spawn, so it did not know the pid yet.
    const starting = this.#facts.at(-1);
    if (starting?.type === 'state' && starting.state === 'starting') starting.pid = outcome.pid;
    this.#facts.push({ type: 'spawned', pid: outcome.pid });
    if (cause.restartCause !== null && this.#stats.runs > 0) {
      this.#stats.restarts += 1;
      if (cause.isAfterFailure) this.#stats.failureRestarts += 1;
      this.#facts.push({ type: 'restarted', pid: outcome.pid, cause: cause.restartCause });
    }
    if (!needsReadinessCheck(this.#spec)) {
      this.#move('ready');
      this.#facts.push({ type: 'ready', pid: outcome.pid });
    }
    if (needsReadinessCheck(this.#spec)) {
      const started = running;
      started.startTimer = this.#runtime.setTimer(startDeadlineMs(this.#spec), () =>
        this.#onStartTimeout(started),
      );
    }
    return outcome;
  }

  /**
   * A process that never becomes ready must not stay `starting` for ever: it is stopped (stop
   * signal, SIGKILL after the stop timeout) and its exit counts as a young death, so it is
   * restarted with backoff and ends `errored` if it never gets there.
   */
  #onStartTimeout(running: RunningProcess): void {
    running.startTimer = null;
    if (this.#process !== running || this.#state !== 'starting') return;
    running.isStartTimedOut = true;
    this.#reason = notReadyReason(this.#spec, this.#index);
    this.#terminate(running);
    this.#isChanged = true;
    this.#notifyIfChanged();
  }

  /** Ends a process tend gave up on (never ready, hung) without a requested stop: stop signal, then SIGKILL. */
  #terminate(running: RunningProcess): void {
    this.#runtime.signal(running.pid, this.#spec.stopSignal, 'group');
    // As systemd does: a process frozen by SIGSTOP gets its stop signal only once continued, so
    // it can exit cleanly instead of waiting for SIGKILL; a running one ignores SIGCONT.
    this.#runtime.signal(running.pid, 'SIGCONT', 'group');
    const timer = this.#runtime.setTimer(this.#spec.stopTimeoutMs, () => {
      if (this.#stopTimer !== timer) return;
      this.#stopTimer = null;
      if (this.#process !== running) return;
      // A main process that left its group (setsid) is not reached through the group.
      this.#runtime.signal(running.pid, 'SIGKILL', 'group');
      this.#runtime.signal(running.pid, 'SIGKILL', 'process');
    });
    this.#stopTimer = timer;
  }

  /** A runtime that throws instead of answering ok:false must not leave the instance `starting` with no process. */
  #spawnSafely(onExit: (exit: ProcessExit) => void): SpawnOutcome {
    try {
      return this.#runtime.spawn({ spec: this.#spec, instance: this.#index }, onExit);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException | undefined)?.code;
      return { ok: false, errno, message: error instanceof Error ? error.message : String(error) };
    }
  }

  #handleExit(running: RunningProcess, exit: ProcessExit): void {
    if (this.#process !== running) return;
    const now = this.#runtime.now();
    const uptimeMs = Math.max(0, now - running.startedAt);
    this.#process = null;
    this.#downSince = now;
    this.#cancelStopTimer();
    running.startTimer?.cancel();
    // The main process is gone, but its children may not be: orphans of a crashed server keep its
    // port (the restart would fail with EADDRINUSE) and its files open. Each instance leads its own group.
    this.#runtime.signal(running.pid, 'SIGKILL', 'group');
    const fact: ExitedFact = {
      type: 'exited',
      pid: running.pid,
      code: exit.code,
      signal: exit.signal,
      uptimeMs,
      isFailure: false,
      reason: null,
    };
    this.#facts.push(fact);
    if (this.#state === 'stopping') {
      const stopReason = this.#stopReason;
      this.#stopReason = null;
      const escalated = this.#isStopEscalated
        ? `did not stop within ${formatDuration(this.#spec.stopTimeoutMs)} of ${this.#spec.stopSignal}; killed with SIGKILL`
        : null;
      fact.reason =
        stopReason === null
          ? (escalated ?? 'stopped on request')
          : escalated === null
            ? stopReason
            : `${stopReason}; ${escalated}`;
      this.#finishStop(exit, uptimeMs, now, stopReason === null ? null : fact.reason);
    } else {
      fact.isFailure = isFailedRun(running, exit, this.#spec);
      // Set before the decision: a stable run's exit is delivered before its replacement spawns.
      fact.reason = running.hungReason;
      this.#handleOwnExit(running, exit, uptimeMs, now);
      fact.reason = running.hungReason ?? this.#reason;
    }
    this.#notifyIfChanged();
  }

  /** `reason` is kept with the exit record when the stop had one of its own (`stop(reason)`). */
  #finishStop(exit: ProcessExit, uptimeMs: number, now: number, reason: string | null): void {
    recordExit(this.#stats, {
      at: now,
      code: exit.code,
      signal: exit.signal,
      uptimeMs,
      isFailure: false,
      ...(reason === null ? {} : { reason }),
    });
    this.#move('exited');
    this.#reason = null;
    const stopWaiter = this.#stopWaiter;
    this.#stopWaiter = null;
    stopWaiter?.resolve();
    const pending = this.#pendingStart;
    this.#pendingStart = null;
    if (pending === null) return;
    this.#forgetCrashes();
    this.#move('start');
    const outcome = this.#spawn({
      restartCause: pending.isRestart ? 'manual' : null,
      isAfterFailure: false,
    });
    for (const resolve of pending.waiters) resolve(outcome);
  }

  #handleOwnExit(running: RunningProcess, exit: ProcessExit, uptimeMs: number, now: number): void {
    const spec = this.#spec;
    const isFailure = isFailedRun(running, exit, spec);
    recordExit(this.#stats, {
      at: now,
      code: exit.code,
      signal: exit.signal,
      uptimeMs,
      isFailure,
      ...(running.hungReason === null ? {} : { reason: running.hungReason }),
    });
    const isHung = running.hungReason !== null;
    if (
      isHung
        ? spec.restart === 'never'
        : !shouldRestart(spec.restart, exit, spec.noRestartExitCodes)
    ) {
      this.#move('exited');
      this.#reason = stayedDownReason(
        exit,
        spec.restart,
        isDoneExit(exit, spec.noRestartExitCodes),
      );
      if (isHung) this.#reason = `${running.hungReason}; ${this.#reason}`;
      return;
    }
    const restartCause: RestartCause = isHung
      ? 'hung'
      : exit.signal === null
        ? 'exit-code'
        : 'signal';
    const isStable =
      !running.isStartTimedOut && (uptimeMs >= spec.minUptimeMs || running.isReadyByCheck);
    if (isStable) {
      // Restart speed matters here (a server back on its port within milliseconds): no timer.
      this.#consecutiveYoungDeaths = 0;
      this.#notReadyBecause = null;
      this.#deliverFactsNow();
      this.#move('exited-restart');
      // A task program's process that ran and exited cleanly is done (with its task, if it had
      // one): its slot gets a fresh process, which is not a restart (docs/tasks.md). A crash is.
      const isTaskDone = spec.tasks !== undefined && !isHung && !isFailure;
      this.#spawn({ restartCause: isTaskDone ? null : restartCause, isAfterFailure: isFailure });
      return;
    }
    this.#consecutiveYoungDeaths += 1;
    const intensity = addRestart(this.#youngDeaths, this.#runClock(now), spec);
    this.#youngDeaths = intensity.history;
    if (intensity.isExceeded) {
      this.#move('exited-give-up');
      this.#reason = gaveUpReason({
        name: spec.name,
        youngDeaths: intensity.history.length,
        restartWindowMs: spec.restartWindowMs,
        minUptimeMs: spec.minUptimeMs,
        lastExit: exit,
        isLastExitFailure: isFailure,
        notReadyBecause: this.#notReadyBecause,
      });
      if (running.isStartTimedOut)
        this.#reason = `${notReadyReason(spec, this.#index)}; ${this.#reason}`;
      if (isHung) this.#reason = `${running.hungReason}; ${this.#reason}`;
      this.#facts.push({ type: 'errored', reason: this.#reason });
      return;
    }
    const delayMs = nextRestartDelay(
      this.#consecutiveYoungDeaths,
      spec.backoffInitialMs,
      spec.backoffMaxMs,
    );
    this.#move('exited-backoff');
    this.#waitingSince = now;
    this.#nextRestartAt = now + delayMs;
    this.#reason = backoffReason(
      exit,
      uptimeMs,
      delayMs,
      this.#consecutiveYoungDeaths,
      this.#notReadyBecause,
    );
    if (running.isStartTimedOut)
      this.#reason = `${notReadyReason(spec, this.#index)}; ${this.#reason}`;
    if (isHung) this.#reason = `${running.hungReason}; ${this.#reason}`;
    const timer = this.#runtime.setTimer(delayMs, () =>
      this.#onBackoffElapsed(timer, { restartCause, isAfterFailure: isFailure }),
    );
    this.#restartTimer = timer;
  }

  #onBackoffElapsed(timer: TimerHandle, cause: SpawnCause): void {
    if (this.#restartTimer !== timer) return;
    this.#restartTimer = null;
    if (lookupTransition(this.#state, 'backoff-elapsed') !== 'starting') return;
    this.#leaveWaiting();
    this.#move('backoff-elapsed');
    this.#spawn(cause);
    this.#notifyIfChanged();
  }

  #beginStop(): void {
    const running = this.#requireProcess();
    this.#move('stop');
    this.#reason = null;
    this.#isStopEscalated = false;
    let resolve = (): void => {};
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    this.#stopWaiter = { promise, resolve };
    this.#runtime.signal(running.pid, this.#spec.stopSignal, 'group');
    const timer = this.#runtime.setTimer(this.#spec.stopTimeoutMs, () =>
      this.#onStopTimeout(timer),
    );
    this.#stopTimer = timer;
  }

  #onStopTimeout(timer: TimerHandle): void {
    if (this.#stopTimer !== timer) return;
    this.#stopTimer = null;
    const running = this.#process;
    if (running === null || lookupTransition(this.#state, 'stop-timeout') !== 'stopping') return;
    this.#isStopEscalated = true;
    // A main process that left its group (setsid) is not reached through the group; a second SIGKILL is harmless.
    this.#runtime.signal(running.pid, 'SIGKILL', 'group');
    this.#runtime.signal(running.pid, 'SIGKILL', 'process');
  }

  #deferStart(isRestart: boolean): Promise<SpawnOutcome> {
    const pending = this.#pendingStart ?? { isRestart: false, waiters: [] };
    pending.isRestart ||= isRestart;
    this.#pendingStart = pending;
    return new Promise((resolve) => pending.waiters.push(resolve));
  }

  #cancelPendingStart(): void {
    const pending = this.#pendingStart;
    this.#pendingStart = null;
    for (const resolve of pending?.waiters ?? []) resolve(CANCELLED_START);
  }

  #cancelStopTimer(): void {
    this.#stopTimer?.cancel();
    this.#stopTimer = null;
  }

  /** Cancels a scheduled restart and adds the time spent waiting to the pauses of the run clock. */
  #leaveWaiting(): void {
    this.#restartTimer?.cancel();
    this.#restartTimer = null;
    this.#nextRestartAt = null;
    if (this.#waitingSince !== null) {
      this.#pausedMs += this.#runtime.now() - this.#waitingSince;
      this.#waitingSince = null;
    }
  }

  /**
   * Intensity is measured on a clock that stops while tend waits out a backoff. On the wall clock,
   * doubling backoff spreads young deaths so far apart that no window ever holds maxRestarts + 1 of
   * them (with the defaults, 100 ms doubling to 30 s against 10 in 60 s): a crash loop would never
   * give up. OTP, which has no backoff, sees the same as this clock.
   */
  #runClock(now: number): number {
    return now - this.#pausedMs;
  }

  #forgetCrashes(): void {
    this.#notReadyBecause = null;
    this.#consecutiveYoungDeaths = 0;
    this.#youngDeaths = [];
    this.#pausedMs = 0;
  }

  #runningOutcome(): SpawnOutcome {
    return { ok: true, pid: this.#requireProcess().pid };
  }

  #requireProcess(): RunningProcess {
    if (this.#process === null) throw this.#bug(`has no process in state ${this.#state}`);
    return this.#process;
  }

  #move(event: InstanceEvent): void {
    const next = lookupTransition(this.#state, event);
    if (!isStateTransition(next)) {
      throw this.#bug(`cannot take event ${event} in state ${this.#state} (${next})`);
    }
    if (next !== this.#state) {
      this.#facts.push({
        type: 'state',
        state: next,
        previous: this.#state,
        pid: this.#process?.pid ?? null,
        reason: null,
      });
      this.#state = next;
      this.#stateSince = this.#runtime.now();
    }
    this.#isChanged = true;
  }

  /**
   * Delivers the facts gathered so far (the exit) ahead of the change they belong to: a spawn
   * from a large process takes milliseconds that the event stream, and whoever watches it,
   * should not wait for to learn of the exit. The snapshot still comes once, after the spawn.
   */
  #deliverFactsNow(): void {
    const facts = this.#facts;
    this.#facts = [];
    for (const fact of facts) this.#onFact(fact);
  }

  #notifyIfChanged(): void {
    if (!this.#isChanged) return;
    this.#isChanged = false;
    const facts = this.#facts;
    this.#facts = [];
    // The reason is set after the move that led to the state the instance rests in.
    const last = facts.findLast((fact) => fact.type === 'state');
    if (last?.type === 'state' && last.state === this.#state) last.reason = this.#reason;
    for (const fact of facts) this.#onFact(fact);
    this.#onChange(this.snapshot());
  }

  #bug(problem: string): TendError {
    return new TendError(
      'TEND_ERR_INTERNAL',
      `Instance ${this.#spec.name}:${this.#index} ${problem}; this is a bug in tend`,
    );
  }
}

/** Whether a run that ended on its own counts as a failure: never ready in time, hung, or a failing exit. */
function isFailedRun(running: RunningProcess, exit: ProcessExit, spec: ProgramSpec): boolean {
  return (
    running.isStartTimedOut ||
    running.hungReason !== null ||
    isFailureExit(exit, spec.noRestartExitCodes)
  );
}
