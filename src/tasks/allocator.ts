import { formatDuration } from '../config/human-units.js';
import { TendError } from '../errors.js';
import type { TimerHandle } from '../process/runtime.js';
import type { Lease, LeaseBook, LeaseClock } from './lease-book.js';

/** One instance of a pool as the allocator needs it. */
export interface AllocatableMember {
  instance: number;
  port: number | null;
  /** Ready to take a client (online, passing readiness); a starting instance is not. */
  isReady: boolean;
}

/** The pool an Allocator hands instances out of. */
export interface AllocatablePool {
  readonly name: string;
  /** The most instances the pool may have. */
  readonly max: number;
  /** The current instances. */
  members(): AllocatableMember[];
  /** Adds one instance (scale up by one); the allocator hears of it through `poolChanged()`. */
  grow(): void;
}

/** What a client asks for. */
export interface AllocationRequest {
  holder: string | null;
  /** The lease's time-to-live, or null for none. */
  ttlMs: number | null;
  /** How long to wait for a free instance before the refusal. */
  timeoutMs: number;
}

/** What a client gets: the lease, and where to reach the instance. */
export interface Allocation {
  lease: Lease;
  port: number | null;
}

interface Waiter {
  request: AllocationRequest;
  resolve: (allocation: Allocation) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

/**
 * Hands out free ready instances of one pool, one lease each (the watchdog lab's dispatcher,
 * Agones' allocation): the lowest free ready instance at once; else the pool grows by one while
 * below `max` and the request waits, first come first served, up to its timeout. Synchronous
 * between the check and the grant, so two requests never get the same instance.
 */
export class Allocator {
  readonly #pool: AllocatablePool;
  readonly #book: LeaseBook;
  readonly #clock: LeaseClock;
  readonly #waiters: Waiter[] = [];

  constructor(pool: AllocatablePool, book: LeaseBook, clock: LeaseClock) {
    this.#pool = pool;
    this.#book = book;
    this.#clock = clock;
  }

  /** Requests waiting for an instance. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Leases a free ready instance, growing the pool and waiting when none is free. */
  allocate(request: AllocationRequest): Promise<Allocation> {
    if (this.#waiters.length === 0) {
      const now = this.#grantFree(request);
      if (now) return Promise.resolve(now);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        request,
        resolve,
        reject,
        timer: this.#clock.setTimer(request.timeoutMs, () => this.#timeOut(waiter)),
      };
      this.#waiters.push(waiter);
      this.#growForWaiters();
    });
  }

  /** Call after any change of the pool or of its leases: serves waiters, grows if still short. */
  poolChanged(): void {
    while (this.#waiters.length > 0) {
      const waiter = this.#waiters[0] as Waiter;
      const allocation = this.#grantFree(waiter.request);
      if (!allocation) break;
      this.#waiters.shift();
      waiter.timer.cancel();
      waiter.resolve(allocation);
    }
    this.#growForWaiters();
  }

  /** Refuses every waiting request (the program is being removed or stopped). */
  cancelAll(reason: string): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.timer.cancel();
      waiter.reject(new TendError('TEND_ERR_ALLOCATION_CANCELLED', reason));
    }
  }

  #grantFree(request: AllocationRequest): Allocation | null {
    const free = this.#pool
      .members()
      .filter((member) => member.isReady && !this.#book.isLeased(member.instance))
      .sort((a, b) => a.instance - b.instance)[0];
    if (!free) return null;
    const lease = this.#book.grant(free.instance, {
      ttlMs: request.ttlMs,
      holder: request.holder,
    });
    return { lease, port: free.port };
  }

  /** Instances that will be free once started cover some waiters; grow for the rest, up to max. */
  #growForWaiters(): void {
    let members = this.#pool.members();
    const coming = (list: AllocatableMember[]) =>
      list.filter((member) => !member.isReady && !this.#book.isLeased(member.instance)).length;
    while (this.#waiters.length > coming(members) && members.length < this.#pool.max) {
      this.#pool.grow();
      const grown = this.#pool.members();
      if (grown.length <= members.length) break;
      members = grown;
    }
  }

  #timeOut(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index === -1) return;
    this.#waiters.splice(index, 1);
    const members = this.#pool.members();
    const leased = members.filter((member) => this.#book.isLeased(member.instance)).length;
    waiter.reject(
      new TendError(
        'TEND_ERR_ALLOCATION_TIMEOUT',
        `No free instance of \`${this.#pool.name}\` within ${formatDuration(waiter.request.timeoutMs)}: ${leased} of ${members.length} leased, and the pool is at its bound (max ${this.#pool.max})` +
          (members.length < this.#pool.max
            ? '; the instances started for it are not ready yet'
            : ''),
      ),
    );
  }
}
