import { lstat } from 'node:fs/promises';

/** Makes sure every path is a FIFO (ensureFifos' signature). */
export type EnsureFifos = (paths: readonly string[]) => Promise<void>;

/**
 * Gathers the FIFOs asked for within one tick (a program's output and notify channels, its
 * proxy's, programs added at once) into one `ensure` call: Node cannot make a FIFO itself, so
 * each call runs a `mkfifo` process, forked from the daemon. A caller is failed only when one of
 * its own paths is still no FIFO.
 */
export function batchFifoCreation(ensure: EnsureFifos): EnsureFifos {
  let batch: string[] | undefined;
  let done: Promise<unknown> | undefined;
  return async (paths) => {
    if (batch === undefined) {
      const current: string[] = [];
      batch = current;
      // A microtask later: what the same synchronous step asks for joins this call.
      done = Promise.resolve().then(() => {
        batch = undefined;
        return ensure(current);
      });
    }
    batch.push(...paths);
    const outcome = await (done as Promise<unknown>).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    if (outcome === undefined) return;
    const isMine = await Promise.all(paths.map(async (path) => !(await isFifo(path))));
    if (isMine.some(Boolean)) throw outcome.error;
  };
}

async function isFifo(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFIFO();
  } catch {
    return false;
  }
}
