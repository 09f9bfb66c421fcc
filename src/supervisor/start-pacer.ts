import type { SpawnOutcome, SupervisorRuntime, TimerHandle } from './types.js';

/** How many instances of one pool may be starting at once when the pool starts or grows. */
export const START_CONCURRENCY = 16;

/**
 * The longest the last of `instances` paced starts waits for its turn when each start takes up
 * to `perStartMs` to settle (its start deadline; 0 for instances online at spawn): what a caller
 * that waits for a pool to settle adds to the start timeout.
 */
export function pacedStartDelayMs(
  instances: number,
  perStartMs: number,
  limit = START_CONCURRENCY,
): number {
  return Math.max(0, Math.ceil(instances / limit) - 1) * perStartMs;
}

/** One start the pacer may run: an instance of the pool, by key. */
export interface PacedStart<K> {
  key: K;
  /** Starts it (spawns synchronously, as InstanceSupervisor.start does). */
  run(): Promise<SpawnOutcome>;
  /** Whether it should still start when its turn comes (the pool was not stopped or shrunk meanwhile). */
  isWanted(): boolean;
  /** Whether it is starting now (spawned, not yet ready): only then does it keep its slot. */
  isStarting(): boolean;
}

/** What a StartPacer needs: the runtime's timers, and how many may start at once (START_CONCURRENCY). */
export interface StartPacerOptions {
  runtime: Pick<SupervisorRuntime, 'setTimer'>;
  limit?: number;
}

/**
 * Starts a pool's instances at most `limit` at a time: each start keeps its slot until its
 * instance leaves `starting` (`release`: ready, exited, stopped, or stopped by its start timeout,
 * which bounds the wait), and at most `limit` starts run in one turn of the event loop, the next
 * ones after a zero-delay timer. Why (issue 10): a task fleet of 1,000 started in one synchronous
 * loop blocked the daemon for minutes under load (a spawn is a fork and an exec), so `tend start`
 * and its API went unanswered. No time bound on a slot: with one (1 s), a loaded machine booted
 * processes slower than slots freed, hundreds booted at once and missed their start timeout, and
 * the fleet crash-looped. A pool within `limit` starts at once, as before.
 */
export class StartPacer<K> {
  readonly #runtime: Pick<SupervisorRuntime, 'setTimer'>;
  readonly #limit: number;
  #queue: PacedStart<K>[] = [];
  /** Starts holding a slot. */
  readonly #holding = new Set<K>();
  #nextTurn: TimerHandle | null = null;
  /** Set while a turn runs: a place freed meanwhile is taken by this turn or scheduled at its end. */
  #isInTurn = false;

  constructor(options: StartPacerOptions) {
    this.#runtime = options.runtime;
    this.#limit = options.limit ?? START_CONCURRENCY;
  }

  /** How many starts wait for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Queues starts (one already queued for the same key is not queued twice) and runs at once as
   * many as there are free slots; resolves to the outcomes of those run now. The others run later,
   * their failures told by their instances (errored), not here.
   */
  enqueue(starts: readonly PacedStart<K>[]): Promise<SpawnOutcome[]> {
    const queued = new Set(this.#queue.map((start) => start.key));
    this.#queue.push(...starts.filter((start) => !queued.has(start.key)));
    return Promise.all(this.#runTurn());
  }

  /** Whether `key` holds a place now (its start or restart is under way). */
  holds(key: K): boolean {
    return this.#holding.has(key);
  }

  /** The instance `key` left `starting` (ready, exited, stopped, failed to spawn): its slot is free. */
  release(key: K): void {
    if (!this.#holding.delete(key)) return;
    this.#scheduleTurn();
  }

  /** Drops every start that waits (the pool is stopping); starts under way keep their slots until they settle. */
  clear(): void {
    this.#queue = [];
    this.#nextTurn?.cancel();
    this.#nextTurn = null;
  }

  #runTurn(): Promise<SpawnOutcome>[] {
    const outcomes: Promise<SpawnOutcome>[] = [];
    this.#isInTurn = true;
    try {
      while (
        this.#queue.length > 0 &&
        this.#holding.size < this.#limit &&
        outcomes.length < this.#limit
      ) {
        const start = this.#queue.shift() as PacedStart<K>;
        if (!start.isWanted() || this.#holding.has(start.key)) continue;
        this.#holding.add(start.key);
        outcomes.push(start.run());
        if (!start.isStarting()) this.release(start.key);
      }
    } finally {
      this.#isInTurn = false;
    }
    this.#scheduleTurn();
    return outcomes;
  }

  #scheduleTurn(): void {
    if (this.#isInTurn || this.#nextTurn !== null || this.#queue.length === 0) return;
    if (this.#holding.size >= this.#limit) return;
    this.#nextTurn = this.#runtime.setTimer(0, () => {
      this.#nextTurn = null;
      this.#runTurn();
    });
  }
}
