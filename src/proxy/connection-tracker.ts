/** The open connections of a listener, so that shutdown can wait for them, then close what is left. */
export class ConnectionTracker<T extends { destroy(): void }> {
  readonly #open = new Set<T>();
  #onEmpty: (() => void) | undefined;

  get size(): number {
    return this.#open.size;
  }

  add(connection: T): void {
    this.#open.add(connection);
  }

  delete(connection: T): void {
    this.#open.delete(connection);
    if (this.#open.size === 0 && this.#onEmpty !== undefined) this.#onEmpty();
  }

  /** Each open connection (a copy: the callback may close it). */
  forEach(callback: (connection: T) => void): void {
    for (const connection of [...this.#open]) callback(connection);
  }

  /** Resolves when no connection is left, destroying the rest after `graceMs`. */
  drain(graceMs: number): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.forEach((connection) => {
          connection.destroy();
        });
      }, graceMs);
      this.#onEmpty = () => {
        this.#onEmpty = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
