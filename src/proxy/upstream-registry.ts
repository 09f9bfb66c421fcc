import type { InstanceProxyStats } from './control-protocol.js';
import {
  type BalanceStrategy,
  PROXY_SUSPENSION_DEFAULTS,
  type ProxySuspension,
  UPSTREAM_IDLE_TIMEOUT_MS,
  type UpstreamFailureReason,
  type UpstreamMember,
} from './proxy-options.js';
import { Upstream } from './upstream.js';

/** Something waiting for an instance to become usable; it tries again when told. */
export interface UpstreamWaiter {
  onUpstreamMaybeAvailable(): void;
}

/** Told when an instance fails, once per healthy → failed change (not for every request that hit it). */
export type UpstreamFailureListener = (upstream: Upstream, reason: UpstreamFailureReason) => void;

/** Told when a draining instance has nothing in flight any more. */
export type UpstreamDrainedListener = (upstream: Upstream) => void;

/**
 * The pool's membership and who gets the next request: ready instances only, skipping for a while
 * (doubling, capped) one that just failed, so the proxy does not hammer a dead upstream while the
 * daemon re-checks it. A change from not ready to ready ends the skip at once.
 */
export class UpstreamRegistry {
  readonly #suspension: ProxySuspension;
  #upstreams: Upstream[] = [];
  #byInstance = new Map<number, Upstream>();
  #balance: BalanceStrategy;
  #next = 0;
  #waiters: UpstreamWaiter[] = [];
  #wakeTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #onFailure: UpstreamFailureListener;
  #onDrained: UpstreamDrainedListener;
  #unavailable = 0;

  constructor(
    balance: BalanceStrategy,
    onFailure: UpstreamFailureListener,
    suspension: Partial<ProxySuspension> = {},
    onDrained: UpstreamDrainedListener = () => {},
  ) {
    this.#onDrained = onDrained;
    this.#suspension = {
      suspendInitialMs: suspension.suspendInitialMs ?? PROXY_SUSPENSION_DEFAULTS.suspendInitialMs,
      suspendMaxMs: suspension.suspendMaxMs ?? PROXY_SUSPENSION_DEFAULTS.suspendMaxMs,
    };
    this.#balance = balance;
    this.#onFailure = onFailure;
  }

  set balance(balance: BalanceStrategy) {
    this.#balance = balance;
  }

  /** Requests or connections waiting for an instance to become usable. */
  get waitingCount(): number {
    return this.#waiters.length;
  }

  /** Requests answered 503 (tcp: connections closed) because no instance was ready in time. */
  get unavailableCount(): number {
    return this.#unavailable;
  }

  /** Counts a request or connection given up because no instance was ready in time. */
  recordUnavailable(): void {
    this.#unavailable++;
  }

  /** Counts the failures of a request that a later attempt delivered: the client never saw them. */
  recordHiddenFailures(failed: readonly Upstream[] | undefined): void {
    if (failed === undefined) return;
    for (const upstream of failed) upstream.failuresHidden++;
  }

  /** Every member, by instance number. */
  get upstreams(): readonly Upstream[] {
    return this.#upstreams;
  }

  /** Replaces the membership with `members` (the full list) and wakes waiting requests. */
  setMembers(members: readonly UpstreamMember[], nowMs: number): void {
    const present = new Set(members.map((member) => member.instance));
    const removed = [...this.#byInstance.keys()].filter((instance) => !present.has(instance));
    this.changeMembers(members, removed, nowMs);
  }

  /**
   * Applies the members added or changed and the instances removed since the last membership,
   * and wakes waiting requests. The work is in proportion to the change, but for an instance
   * added or removed (the ordered list is rebuilt).
   */
  changeMembers(
    changed: readonly UpstreamMember[],
    removed: readonly number[],
    nowMs: number,
  ): void {
    let isListChanged = false;
    for (const instance of removed) {
      const upstream = this.#byInstance.get(instance);
      if (upstream === undefined) continue;
      this.#remove(upstream);
      this.#byInstance.delete(instance);
      isListChanged = true;
    }
    for (const member of changed) {
      const known = this.#byInstance.get(member.instance);
      if (known !== undefined && known.host === member.host && known.port === member.port) {
        if (member.isReady && !known.isReady) {
          known.suspendedUntilMs = 0;
          known.consecutiveFailures = 0;
        }
        // A change of readiness means the instance's process died or was replaced: its idle
        // keep-alive connections lead to a process that is gone.
        if (member.isReady !== known.isReady) known.closeIdle();
        known.isReady = member.isReady;
        this.#setDraining(known, member.isDraining ?? false);
        continue;
      }
      if (known !== undefined) this.#remove(known);
      const upstream = new Upstream(
        member.instance,
        member.host,
        member.port,
        member.isReady,
        nowMs,
      );
      this.#setDraining(upstream, member.isDraining ?? false);
      this.#byInstance.set(member.instance, upstream);
      isListChanged = true;
    }
    if (isListChanged)
      this.#upstreams = [...this.#byInstance.values()].sort((a, b) => a.instance - b.instance);
    this.#sweepTimer ??= setInterval(
      () => this.#closeStaleIdle(),
      UPSTREAM_IDLE_TIMEOUT_MS,
    ).unref();
    this.#wakeWaiters();
  }

  /** An upstream leaves the pool (or is replaced at another address): its idle connections close. */
  #remove(upstream: Upstream): void {
    upstream.isRemoved = true;
    upstream.closeIdle();
  }

  /**
   * The instance for the next request or connection, or undefined when none is usable now.
   * Instances in `tried` (those a retried request already failed on) are taken only when no other is usable.
   */
  pick(nowMs: number, tried: readonly Upstream[] | undefined): Upstream | undefined {
    const chosen = this.#pickFrom(nowMs, tried);
    if (chosen === undefined && tried !== undefined) return this.#pickFrom(nowMs, undefined);
    return chosen;
  }

  #pickFrom(nowMs: number, tried: readonly Upstream[] | undefined): Upstream | undefined {
    const upstreams = this.#upstreams;
    const count = upstreams.length;
    if (count === 0) return undefined;
    const start = this.#next % count;
    let chosen: Upstream | undefined;
    let chosenIndex = 0;
    for (let offset = 0; offset < count; offset++) {
      const index = (start + offset) % count;
      const upstream = upstreams[index] as Upstream;
      if (!upstream.isEligible(nowMs) || (tried?.includes(upstream) ?? false)) continue;
      if (this.#balance === 'round-robin') {
        chosen = upstream;
        chosenIndex = index;
        break;
      }
      if (chosen === undefined || upstream.outstanding < chosen.outstanding) {
        chosen = upstream;
        chosenIndex = index;
        if (upstream.outstanding === 0) break;
      }
    }
    if (chosen !== undefined) this.#next = chosenIndex + 1;
    return chosen;
  }

  /** A request or connection succeeded on `upstream`: its failure streak ends. */
  recordSuccess(upstream: Upstream): void {
    if (upstream.consecutiveFailures !== 0) upstream.consecutiveFailures = 0;
  }

  /** An attempt failed on `upstream`: skip it for a while, and tell the listener if it was healthy. */
  recordFailure(upstream: Upstream, reason: UpstreamFailureReason, nowMs: number): void {
    upstream.failures++;
    const wasSuspended = upstream.suspendedUntilMs > nowMs;
    const { suspendInitialMs, suspendMaxMs } = this.#suspension;
    const suspendMs = Math.min(
      suspendMaxMs,
      suspendInitialMs * 2 ** Math.min(upstream.consecutiveFailures, 16),
    );
    upstream.consecutiveFailures++;
    upstream.suspendedUntilMs = nowMs + suspendMs;
    upstream.closeIdle();
    if (!wasSuspended && !upstream.isRemoved) this.#onFailure(upstream, reason);
  }

  /** Calls `waiter.onUpstreamMaybeAvailable()` once, when the membership changes or a skipped instance may be tried again. */
  addWaiter(waiter: UpstreamWaiter, nowMs: number): void {
    this.#waiters.push(waiter);
    this.#armWakeTimer(nowMs);
  }

  /** Forgets a waiter (its request ended or timed out). */
  removeWaiter(waiter: UpstreamWaiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index !== -1) this.#waiters.splice(index, 1);
    if (this.#waiters.length === 0) this.#clearWakeTimer();
  }

  /** Per-instance counters, by instance number. */
  stats(nowMs: number): InstanceProxyStats[] {
    return this.#upstreams.map((upstream) => upstream.stats(nowMs));
  }

  /** Closes idle connections and stops the wake timer. */
  close(): void {
    this.#clearWakeTimer();
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const upstream of this.#upstreams) upstream.closeIdle();
  }

  /** Idle connections unused for UPSTREAM_IDLE_TIMEOUT_MS are closed, oldest first (they sit at the front). */
  #closeStaleIdle(): void {
    const nowMs = performance.now();
    for (const upstream of this.#upstreams) {
      const idle = upstream.idle;
      let stale = 0;
      while (
        stale < idle.length &&
        nowMs - (idle[stale]?.idleSinceMs ?? 0) >= UPSTREAM_IDLE_TIMEOUT_MS
      ) {
        stale++;
      }
      for (const connection of idle.splice(0, stale)) connection.destroy();
    }
  }

  /** Starts or ends a drain; one that starts with nothing in flight is drained at once. */
  #setDraining(upstream: Upstream, isDraining: boolean): void {
    if (isDraining === upstream.isDraining) return;
    upstream.isDraining = isDraining;
    if (!isDraining) {
      upstream.onDrained = undefined;
      return;
    }
    upstream.onDrained = () => this.#onDrained(upstream);
    upstream.closeIdle();
    if (upstream.outstanding === 0) this.#onDrained(upstream);
  }

  #wakeWaiters(): void {
    this.#clearWakeTimer();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.onUpstreamMaybeAvailable();
  }

  #armWakeTimer(nowMs: number): void {
    if (this.#wakeTimer !== undefined) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const upstream of this.#upstreams) {
      if (upstream.isReady && !upstream.isRemoved && upstream.suspendedUntilMs > nowMs) {
        earliest = Math.min(earliest, upstream.suspendedUntilMs);
      }
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeTimer = undefined;
        this.#wakeWaiters();
      },
      Math.max(1, Math.ceil(earliest - nowMs)),
    );
  }

  #clearWakeTimer(): void {
    if (this.#wakeTimer === undefined) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
  }
}
