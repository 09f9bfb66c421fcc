/**
 * Runs a refresh so that at most one is in flight and requests made meanwhile become one more
 * run after it: a burst of events costs two reads of the programs, not one per event.
 */
export class Refresher {
  readonly #run: () => Promise<void>;
  #isRunning = false;
  #isPending = false;

  constructor(run: () => Promise<void>) {
    this.#run = run;
  }

  request(): void {
    if (this.#isRunning) {
      this.#isPending = true;
      return;
    }
    this.#isRunning = true;
    void this.#run().finally(() => {
      this.#isRunning = false;
      if (this.#isPending) {
        this.#isPending = false;
        this.request();
      }
    });
  }
}
