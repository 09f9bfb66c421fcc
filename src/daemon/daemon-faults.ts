import type { Logger } from 'pino';
import type { EventBus } from '../core/event-bus.js';
import type { DaemonFaultArea } from '../core/events.js';

const CLEARED: Record<DaemonFaultArea, string> = {
  logs: 'the logs are written again',
  state: 'the state file is written again',
};

/**
 * What the daemon cannot do now (a full disk keeps the logs or the state file from being
 * written), said once when it starts and once when it is over: a log line, an event, and an
 * entry in `GET /v1/health` (`faults`) while it lasts. Never per failed write.
 */
export class DaemonFaults {
  readonly #bus: EventBus;
  readonly #logger: Logger;
  readonly #current = new Map<DaemonFaultArea, string>();

  constructor(bus: EventBus, logger: Logger) {
    this.#bus = bus;
    this.#logger = logger;
  }

  /** The faults now, in words. */
  list(): string[] {
    return [...this.#current.values()];
  }

  /** Says that `area` cannot be written, unless it was said already. */
  raise(area: DaemonFaultArea, problem: string, error?: unknown): void {
    if (this.#current.has(area)) return;
    this.#current.set(area, problem);
    this.#logger.error({ err: error, area }, problem);
    this.#bus.emit({ kind: 'daemon.fault', area, problem });
  }

  /** Says that the fault of `area` is over, if there was one. */
  clear(area: DaemonFaultArea): void {
    if (!this.#current.delete(area)) return;
    this.#logger.warn({ area }, CLEARED[area]);
    this.#bus.emit({ kind: 'daemon.fault-cleared', area });
  }
}
