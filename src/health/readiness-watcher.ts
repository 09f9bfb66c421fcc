import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import type { InstanceSnapshot } from '../supervisor/types.js';
import { waitUntilAccepting } from './tcp-probe.js';

/** Host that instances are checked on: they serve the proxy and local clients. */
const INSTANCE_HOST = '127.0.0.1';

/**
 * Runs the readiness check of every `starting` instance of a program with `readiness: tcp`, one per
 * process, and reports the pid that became ready. It only reports: the supervisor decides.
 */
export class ReadinessWatcher {
  /** The check under way for each instance, keyed `name:index`, with the pid it checks. */
  readonly #checks = new Map<string, { pid: number; abort: AbortController }>();

  /** Starts, keeps or cancels the check of an instance after any change of it; `onReady` gets the pid that passed. */
  update(spec: ProgramSpec, snapshot: InstanceSnapshot, onReady: (pid: number) => void): void {
    const key = `${snapshot.name}:${snapshot.instance}`;
    const current = this.#checks.get(key);
    const port = instancePort(spec, snapshot.instance);
    const isWanted =
      spec.readiness === 'tcp' &&
      port !== null &&
      snapshot.state === 'starting' &&
      snapshot.pid !== null;
    if (current && (!isWanted || current.pid !== snapshot.pid)) {
      current.abort.abort();
      this.#checks.delete(key);
    }
    if (!isWanted || port === null || snapshot.pid === null || this.#checks.has(key)) return;
    const pid = snapshot.pid;
    const abort = new AbortController();
    this.#checks.set(key, { pid, abort });
    void waitUntilAccepting(INSTANCE_HOST, port, abort.signal).then((isReady) => {
      if (this.#checks.get(key)?.abort === abort) this.#checks.delete(key);
      if (isReady) onReady(pid);
    });
  }

  /** Cancels every check of a program (deleted) or of all (shutdown). */
  cancel(name?: string): void {
    for (const [key, check] of this.#checks) {
      if (name === undefined || key.startsWith(`${name}:`)) {
        check.abort.abort();
        this.#checks.delete(key);
      }
    }
  }
}
