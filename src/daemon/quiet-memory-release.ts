import type { TimerHandle } from '../process/runtime.js';

/** How a QuietMemoryRelease waits (tests give a fake timer). */
export type SetQuietTimer = (delayMs: number, onFire: () => void) => TimerHandle;

/** How long the API must have been quiet before the memory of a burst of commands is released. */
export const QUIET_BEFORE_RELEASE_MS = 5_000;

/**
 * Releases the memory a burst of commands left behind once the API has been quiet for a while.
 * Why: each `tend start` of a burst grows V8's young generation again (the start-up's release
 * does not last: bench/RESULTS.md, "memory at rest"), and V8's own memory reducer waits 10-20 s
 * more; every fork of the daemon copies that memory meanwhile. One release per quiet spell, none
 * while requests keep coming.
 */
export class QuietMemoryRelease {
  readonly #release: () => Promise<void>;
  readonly #setTimer: SetQuietTimer;
  readonly #quietMs: number;
  #timer: TimerHandle | undefined;

  constructor(
    release: () => Promise<void>,
    setTimer: SetQuietTimer = unrefTimer,
    quietMs = QUIET_BEFORE_RELEASE_MS,
  ) {
    this.#release = release;
    this.#setTimer = setTimer;
    this.#quietMs = quietMs;
  }

  /** A request was answered: the quiet spell starts again from now. */
  requestAnswered(): void {
    this.#timer?.cancel();
    this.#timer = this.#setTimer(this.#quietMs, () => {
      this.#timer = undefined;
      void this.#release();
    });
  }

  /** Stops waiting (the daemon is stopping). */
  close(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

function unrefTimer(delayMs: number, onFire: () => void): TimerHandle {
  const timer = setTimeout(onFire, delayMs);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}
