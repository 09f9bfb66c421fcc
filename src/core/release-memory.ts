import { Session } from 'node:inspector';

/**
 * Runs V8's memory-reducing garbage collection once (the one its memory reducer runs by itself
 * 10-20 s after a process goes idle, or on a low-memory notification), through an in-process
 * inspector session (no port is opened); the daemon runs it after its start-up and after each
 * burst of commands (QuietMemoryRelease). Why: the daemon's start-up grows V8's young generation
 * to 8 MiB and leaves garbage in the old one (the compiled bundle's unwrapped source among it);
 * an ordinary collection keeps the young generation's size, this one shrinks it, taking the
 * daemon at rest from about 30 to 18 MiB of anonymous memory (bench/RESULTS.md, "memrest"),
 * which each fork of the daemon copies. Resolves when done; never rejects (no inspector in this
 * Node build: nothing to do).
 */
export function releaseMemory(): Promise<void> {
  return new Promise((resolve) => {
    let session: Session;
    try {
      session = new Session();
      session.connect();
    } catch {
      resolve();
      return;
    }
    session.post('HeapProfiler.collectGarbage', () => {
      // Not from inside the callback: a session disconnected there kept Node 20 from exiting.
      setImmediate(() => {
        session.disconnect();
        resolve();
      });
    });
  });
}
