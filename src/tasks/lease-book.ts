import { ConflictError, NotFoundError } from '../errors.js';
import type { TimerHandle } from '../process/runtime.js';
import { newTaskId } from './task-id.js';

/** The clock a LeaseBook runs on: the supervisor runtime's, so tests use a fake one. */
export interface LeaseClock {
  now(): number;
  setTimer(delayMs: number, onFire: () => void): TimerHandle;
}

/** One instance handed out to one holder until it is released, expires or exits. */
export interface Lease {
  id: string;
  instance: number;
  /** Who asked (a client's name, or null): only the holder may release when it was named. */
  holder: string | null;
  grantedAt: number;
  /** Epoch ms when the lease ends unless renewed, or null for no time limit. */
  expiresAt: number | null;
}

/** Why a lease ended, for events and history. */
export type LeaseEnd = 'released' | 'expired' | 'exited' | 'removed';

interface HeldLease {
  lease: Lease;
  timer: TimerHandle | null;
}

/**
 * The leases of one program: which instance is handed out to whom, and until when. An instance
 * has at most one lease; a released, expired or exited lease is gone for good (releasing it
 * again is a NotFound, never a second release of whoever holds the instance next).
 */
export class LeaseBook {
  readonly #clock: LeaseClock;
  readonly #onEnded: (lease: Lease, end: LeaseEnd) => void;
  readonly #byId = new Map<string, HeldLease>();
  readonly #byInstance = new Map<number, HeldLease>();
  /** The program whose leases these are, named in refusals (a lease id of another program is unknown here). */
  readonly #program: string | null;

  constructor(
    clock: LeaseClock,
    onEnded: (lease: Lease, end: LeaseEnd) => void = () => {},
    program: string | null = null,
  ) {
    this.#clock = clock;
    this.#onEnded = onEnded;
    this.#program = program;
  }

  /** Whether `instance` is handed out. */
  isLeased(instance: number): boolean {
    return this.#byInstance.has(instance);
  }

  /** Every lease, by instance number. */
  list(): Lease[] {
    return [...this.#byInstance.values()]
      .map((held) => ({ ...held.lease }))
      .sort((a, b) => a.instance - b.instance);
  }

  /** Hands `instance` out; a second lease on one instance is a bug of the caller, refused. */
  grant(instance: number, options: { ttlMs: number | null; holder: string | null }): Lease {
    if (this.#byInstance.has(instance)) {
      throw new ConflictError(
        'TEND_ERR_LEASE_CONFLICT',
        `Instance ${instance} is already leased; this is a bug in tend`,
      );
    }
    const now = this.#clock.now();
    const lease: Lease = {
      id: newTaskId('l'),
      instance,
      holder: options.holder,
      grantedAt: now,
      expiresAt: options.ttlMs === null ? null : now + options.ttlMs,
    };
    const held: HeldLease = { lease, timer: null };
    this.#arm(held, options.ttlMs);
    this.#byId.set(lease.id, held);
    this.#byInstance.set(instance, held);
    return { ...lease };
  }

  /**
   * Takes back a lease a previous daemon saved (same id, holder and times); one that expired
   * meanwhile ends at once, as expired. False when the instance is leased already.
   */
  restore(lease: Lease): boolean {
    if (this.#byInstance.has(lease.instance) || this.#byId.has(lease.id)) return false;
    const held: HeldLease = { lease: { ...lease }, timer: null };
    this.#byId.set(lease.id, held);
    this.#byInstance.set(lease.instance, held);
    this.#arm(
      held,
      lease.expiresAt === null ? null : Math.max(0, lease.expiresAt - this.#clock.now()),
    );
    return true;
  }

  /** Extends a lease by `ttlMs` from now (its own time-to-live when not given). */
  renew(id: string, ttlMs: number, holder: string | null = null): Lease {
    const held = this.#require(id, holder);
    held.timer?.cancel();
    held.lease.expiresAt = this.#clock.now() + ttlMs;
    this.#arm(held, ttlMs);
    return { ...held.lease };
  }

  /** Ends a lease on request; unknown, already ended, or someone else's is refused. */
  release(id: string, holder: string | null = null): Lease {
    const held = this.#require(id, holder);
    this.#end(held, 'released');
    return { ...held.lease };
  }

  /** Ends the lease on `instance`, if any: its process exited or said it is free, or the instance was removed. */
  endForInstance(instance: number, end: LeaseEnd): Lease | null {
    const held = this.#byInstance.get(instance);
    if (!held) return null;
    this.#end(held, end);
    return { ...held.lease };
  }

  #arm(held: HeldLease, ttlMs: number | null): void {
    held.timer =
      ttlMs === null
        ? null
        : this.#clock.setTimer(ttlMs, () => {
            if (this.#byId.get(held.lease.id) === held) this.#end(held, 'expired');
          });
  }

  #require(id: string, holder: string | null): HeldLease {
    const held = this.#byId.get(id);
    if (!held) {
      throw new NotFoundError(
        'TEND_ERR_LEASE_NOT_FOUND',
        this.#program === null
          ? `No lease \`${id}\`: it was never granted, or it ended already (released, expired, or its instance exited)`
          : `No lease \`${id}\` of \`${this.#program}\`: it was never granted by \`${this.#program}\` (a lease of another program is not known here), or it ended already (released, expired, or its instance exited)`,
      );
    }
    if (held.lease.holder !== null && holder !== held.lease.holder) {
      throw new ConflictError(
        'TEND_ERR_LEASE_NOT_YOURS',
        `Lease \`${id}\` is held by \`${held.lease.holder}\`, not by ${holder === null ? 'an unnamed client' : `\`${holder}\``}`,
      );
    }
    return held;
  }

  #end(held: HeldLease, end: LeaseEnd): void {
    held.timer?.cancel();
    held.timer = null;
    this.#byId.delete(held.lease.id);
    this.#byInstance.delete(held.lease.instance);
    this.#onEnded({ ...held.lease }, end);
  }
}
