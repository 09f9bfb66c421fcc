import type { SpawnOutcome, SupervisorRuntime, TimerHandle } from './types.js';

/** How many instances of one pool may be starting at once when the pool starts or grows. */
export const START_CONCURRENCY = 16;
/**
 * The longest one start keeps its place: an instance that is slow to become ready (it waits on a
 * database, not on the CPU) holds the others back for this long at most, not for its start timeout.
 */
export const START_SLOT_HOLD_MS = 1_000;

/**
 * The longest the last of `instances` paced starts waits for its turn (every slot held its
 * whole holdMs): what a caller that waits for a pool to settle adds to the start timeout.
 */
export function pacedStartDelayMs(
  instances: number,
  limit = START_CONCURRENCY,
  holdMs = START_SLOT_HOLD_MS,
): number {
  return Math.max(0, Math.ceil(instances / limit) - 1) * holdMs;
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

/** What a StartPacer needs: the runtime's timers, and its bounds (the defaults above). */
export interface StartPacerOptions {
  runtime: Pick<SupervisorRuntime, 'setTimer'>;
  limit?: number;
  holdMs?: number;
}

/**
 * Starts a pool's instances at most `limit` at a time: each start keeps its slot until its
 * instance leaves `starting` (`release`) or for `holdMs`, and at most `limit` starts run in one
 * turn of the event loop, the next ones after a zero-delay timer. Why (issue 10): a task fleet of
 * 1,000 started in one synchronous loop blocked the daemon for seconds (a spawn is a fork and an
 * exec), so its API and its own proxy's start timed out, and 1,000 processes booting at once on 2
 * cores took longer each than their start timeout allowed. A pool within `limit` starts at once,
 * as before.
 */
export class StartPacer<K> {
  readonly #runtime: Pick<SupervisorRuntime, 'setTimer'>;
  readonly #limit: number;
  readonly #holdMs: number;
  #queue: PacedStart<K>[] = [];
  /** Starts holding a slot, with the timer that frees it after holdMs. */
  readonly #holding = new Map<K, TimerHandle>();
  #nextTurn: TimerHandle | null = null;
  /** Set while a turn runs: a place freed meanwhile is taken by this turn or scheduled at its end. */
  #isInTurn = false;

  constructor(options: StartPacerOptions) {
    this.#runtime = options.runtime;
    this.#limit = options.limit ?? START_CONCURRENCY;
    this.#holdMs = options.holdMs ?? START_SLOT_HOLD_MS;
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

  /** The instance `key` left `starting` (ready, exited, stopped, failed to spawn): its slot is free. */
  release(key: K): void {
    const timer = this.#holding.get(key);
    if (timer === undefined) return;
    timer.cancel();
    this.#holding.delete(key);
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
        this.#holding.set(
          start.key,
          this.#runtime.setTimer(this.#holdMs, () => this.release(start.key)),
        );
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
