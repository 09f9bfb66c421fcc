/** Refused requests logged per window before the rest are only counted. */
export const REFUSALS_LOGGED_PER_WINDOW = 20;

/** The window of REFUSALS_LOGGED_PER_WINDOW. */
export const REFUSAL_WINDOW_MS = 60_000;

/**
 * Logs refused TCP requests (no token, a wrong token) without letting a flood of them fill the
 * daemon log: past the limit in a window they are counted, and the count is logged with the
 * next refusal of a later window.
 */
export class RefusalLog {
  readonly #write: (fields: Record<string, unknown>, message: string) => void;
  readonly #now: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #loggedInWindow = 0;
  #unlogged = 0;

  constructor(
    write: (fields: Record<string, unknown>, message: string) => void,
    now: () => number = Date.now,
  ) {
    this.#write = write;
    this.#now = now;
  }

  refused(fields: Record<string, unknown>, message: string): void {
    const now = this.#now();
    if (now - this.#windowStart >= REFUSAL_WINDOW_MS) {
      this.#windowStart = now;
      this.#loggedInWindow = 0;
    }
    if (this.#loggedInWindow >= REFUSALS_LOGGED_PER_WINDOW) {
      this.#unlogged++;
      return;
    }
    this.#loggedInWindow++;
    const unlogged = this.#unlogged;
    this.#unlogged = 0;
    this.#write(unlogged > 0 ? { ...fields, refusedUnlogged: unlogged } : fields, message);
  }
}
