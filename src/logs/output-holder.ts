/** One holder process, named by pid and start time so that a reused pid is never hit. */
export interface HolderRef {
  pid: number;
  startTime: number;
}

/** How holders are started and ended (holder-process.ts; tests pass a fake). */
export interface HolderPort {
  /**
   * Starts a process holding the read ends of these FIFOs; `onExit` is called if it ends by
   * itself. Throws when it cannot be started.
   */
  start(paths: readonly string[], onExit: () => void): HolderRef;
  /** Ends a holder, when its pid still names it. */
  end(holder: HolderRef): void;
}

/** Options of an OutputHolder. */
export interface OutputHolderOptions {
  port: HolderPort;
  /** The output FIFOs that must be held now (every instance's out and err). */
  fifos: () => readonly string[];
  /** Holders a previous daemon left running: kept until the first replacement. */
  found?: readonly HolderRef[];
  /** Runs `update` later, once for all the changes until then; returns a cancel. */
  defer: (update: () => void) => () => void;
  onProblem: (message: string, detail?: unknown) => void;
  /** Told of each holder started, with how many FIFOs it holds (for the daemon's log). */
  onStarted?: (holder: HolderRef, fifoCount: number) => void;
}

/** Wait between a change of the set and the new holder: a scale of 1,000 starts a few holders, not 1,000. */
export const HOLDER_DELAY_MS = 1_000;

/** A defer on a real timer that does not keep the daemon alive. */
export function deferBy(delayMs: number): OutputHolderOptions['defer'] {
  return (update) => {
    const timer = setTimeout(update, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  };
}

/**
 * Keeps one process holding the read ends of every instance's output FIFOs, so that what an
 * instance writes while no daemon runs outlives the instance (docs/architecture.md, "The holder
 * killed"). A change of the set starts a new holder first, then ends the old ones.
 */
export class OutputHolder {
  readonly #options: OutputHolderOptions;
  #current: { ref: HolderRef; key: string } | undefined;
  /** Holders to end once a newer one holds the set (a previous daemon's, or one that failed to be replaced). */
  #old: HolderRef[];
  #cancel: (() => void) | undefined;
  #isClosed = false;
  /** Whether a holder that ended by itself was replaced since the last change: the next one that ends waits for a change. */
  #hasReplacedLost = false;

  constructor(options: OutputHolderOptions) {
    this.#options = options;
    this.#old = [...(options.found ?? [])];
  }

  /** The holders running now, newest last. */
  get holders(): HolderRef[] {
    return [...this.#old, ...(this.#current ? [this.#current.ref] : [])];
  }

  /** Says the set of FIFOs may have changed; the holder is replaced at the next deferred update. */
  changed(): void {
    this.#hasReplacedLost = false;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#isClosed || this.#cancel) return;
    this.#cancel = this.#options.defer(() => {
      this.#cancel = undefined;
      this.#update();
    });
  }

  /** Leaves every holder running for the next daemon, which finds them. */
  handOver(): void {
    this.#isClosed = true;
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** A requested stop of everything: ends every holder. */
  close(): void {
    this.handOver();
    this.#endAll([...this.holders]);
    this.#old = [];
    this.#current = undefined;
  }

  #update(): void {
    if (this.#isClosed) return;
    const paths = [...new Set(this.#options.fifos())].sort();
    const key = paths.join('\0');
    if (this.#current?.key === key && this.#old.length === 0) return;
    const before = this.holders;
    if (paths.length === 0) {
      this.#endAll(before);
      this.#old = [];
      this.#current = undefined;
      return;
    }
    let ref: HolderRef;
    try {
      ref = this.#options.port.start(paths, () => this.#lost(ref));
    } catch (error) {
      // The old holders hold what they held: keep them, and try again at the next change.
      this.#options.onProblem(
        `could not start the output holder for ${paths.length} FIFOs; output written while no daemon runs may be lost with its process`,
        error,
      );
      return;
    }
    this.#current = { ref, key };
    this.#old = [];
    this.#options.onStarted?.(ref, paths.length);
    this.#endAll(before);
  }

  /**
   * A holder that ended by itself (killed): a new one is started at the next update, once; one
   * that ends again before the set changes (a `sleep` that cannot run) waits for that change.
   */
  #lost(ref: HolderRef): void {
    if (this.#isClosed || this.#current?.ref !== ref) return;
    this.#current = undefined;
    if (this.#hasReplacedLost) {
      this.#options.onProblem(
        `the output holder (pid ${ref.pid}) ended again; another is started at the next change of the instances`,
      );
      return;
    }
    this.#hasReplacedLost = true;
    this.#options.onProblem(`the output holder (pid ${ref.pid}) ended; starting another`);
    this.#schedule();
  }

  #endAll(holders: readonly HolderRef[]): void {
    for (const holder of holders) {
      try {
        this.#options.port.end(holder);
      } catch (error) {
        this.#options.onProblem(`could not end the output holder (pid ${holder.pid})`, error);
      }
    }
  }
}
