import type { EventBus } from '../core/event-bus.js';
import type { InstanceRole, RestartCause } from '../core/events.js';
import type { InstanceSnapshot } from '../supervisor/types.js';

interface Seen {
  runs: number;
  restarts: number;
  pid: number | null;
  state: InstanceSnapshot['state'];
}

/**
 * STAND-IN until the domain core emits its own events (branch `spine`): derives
 * `instance.exited`, `instance.restarted` and `instance.errored` from the registry's instance
 * snapshots, so that the metrics' event counters have something to count. Delete it, and its one
 * call in daemon-services.ts, when the core emits these events itself.
 */
export class SnapshotEvents {
  readonly #bus: EventBus;
  readonly #seen = new Map<string, Seen>();

  constructor(bus: EventBus) {
    this.#bus = bus;
  }

  /** Called with every changed snapshot of an instance or a pool proxy. */
  onInstanceChange(snapshot: InstanceSnapshot, isProxy: boolean): void {
    const role: InstanceRole = isProxy ? 'proxy' : 'instance';
    const key = `${role}:${snapshot.name}:${snapshot.instance}`;
    const seen = this.#seen.get(key);
    const { stats } = snapshot;
    const base = { program: snapshot.name, instance: snapshot.instance, role };
    const lastExit = stats.exits.at(-1);
    if (seen && stats.runs > seen.runs && lastExit) {
      this.#bus.emit({
        kind: 'instance.exited',
        ...base,
        pid: seen.pid ?? 0,
        code: lastExit.code,
        signal: lastExit.signal,
        uptimeMs: lastExit.uptimeMs,
        isFailure: lastExit.isFailure,
        reason: null,
      });
    }
    if (seen && stats.restarts > seen.restarts && snapshot.pid !== null) {
      const cause: RestartCause = !lastExit?.isFailure
        ? 'manual'
        : lastExit.signal !== null
          ? 'signal'
          : 'exit-code';
      this.#bus.emit({ kind: 'instance.restarted', ...base, pid: snapshot.pid, cause });
    }
    if (snapshot.state === 'errored' && seen?.state !== 'errored') {
      this.#bus.emit({ kind: 'instance.errored', ...base, reason: snapshot.reason ?? 'errored' });
    }
    this.#seen.set(key, {
      runs: stats.runs,
      restarts: stats.restarts,
      pid: snapshot.pid ?? seen?.pid ?? null,
      state: snapshot.state,
    });
  }

  /** Forgets a deleted program and tells the bus. */
  onProgramRemoved(program: string): void {
    for (const key of [...this.#seen.keys()]) {
      if (key.split(':')[1] === program) this.#seen.delete(key);
    }
    this.#bus.emit({ kind: 'program.removed', program });
  }
}
