import type { EventBus } from '../core/event-bus.js';

/** Identity of a running process, to tell it from a later process that reuses its pid. */
export interface ProcessIdentityPort {
  startTime(pid: number): number | undefined;
}

/**
 * Start times of the processes the daemon spawned (field 22 of /proc/<pid>/stat), kept from
 * the bus's spawn and exit events, so that the state file can name them and a daemon that
 * starts after a crash ends them without ever hitting a reused pid.
 */
export class PidTracker {
  readonly #identity: ProcessIdentityPort;
  readonly #startTimes = new Map<number, number>();

  constructor(identity: ProcessIdentityPort) {
    this.#identity = identity;
  }

  /** Follows the bus; returns the unsubscriber. */
  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => {
      // A spawn, or the first state of an adopted process (which this daemon did not spawn).
      const pid =
        event.kind === 'instance.spawned' || event.kind === 'instance.state' ? event.pid : null;
      if (pid !== null && !this.#startTimes.has(pid)) {
        const startTime = this.#identity.startTime(pid);
        if (startTime !== undefined) this.#startTimes.set(pid, startTime);
      } else if (event.kind === 'instance.exited') {
        this.#startTimes.delete(event.pid);
      }
    });
  }

  /** The start time of a live process the daemon spawned, or null. */
  startTimeOf(pid: number | null): number | null {
    return pid === null ? null : (this.#startTimes.get(pid) ?? null);
  }
}
