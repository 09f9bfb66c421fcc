import { formatDuration } from '../config/human-units.js';
import type { InstanceSupervisor } from '../supervisor/instance-supervisor.js';
import type { ProgramSupervisor } from '../supervisor/program-supervisor.js';
import { isInstanceReady } from '../supervisor/readiness.js';
import type { SupervisorRuntime } from '../supervisor/types.js';
import type { EventBus } from './event-bus.js';
import type { TendEvent } from './events.js';
import type { ReloadPlan } from './reload-plan.js';

/** Takes instances out of a proxy's rotation and back (a no-op without a proxy). */
export interface ReloadDrainer {
  /** Stops new traffic to the instance and resolves once its requests in flight ended (or the drain timeout). */
  drain(instance: number, timeoutMs: number): Promise<void>;
  /** Puts it back in rotation: its new process gets traffic once ready. */
  endDrain(instance: number): void;
}

/** What a rolling reload works on and with. */
export interface RollingReloadOptions {
  pool: ProgramSupervisor;
  bus: EventBus;
  runtime: Pick<SupervisorRuntime, 'setTimer'>;
  plan: ReloadPlan;
  drainer: ReloadDrainer;
  /** Makes ready what surge instances need (their ports free, their output FIFOs), for a pool of `size`. */
  prepareSurge: (size: number) => Promise<void>;
  /** Puts back the definition of before the reload, after a failure. */
  restoreDefinition: () => Promise<void>;
  /** The definition fields the reload applies, for its first event. */
  changed: string[];
}

/** How a reload ended. */
export type ReloadOutcome =
  | { ok: true; replaced: number; durationMs: number }
  | { ok: false; instance: number | null; reason: string; restored: boolean };

/** Extra time, past its start and stop timeouts, given to a replacement to be ready. */
const READY_SLACK_MS = 1_000;

/** A step that failed: which instance, and why in words. */
class ReloadStepError extends Error {
  readonly instance: number | null;
  constructor(instance: number | null, message: string) {
    super(message);
    this.instance = instance;
  }
}

/**
 * Replaces every instance of a pool with a new process, Kubernetes-style: first `surge` temporary
 * instances on spare ports, then the old instances in batches of `surge + unavailable`, each one
 * drained (out of the proxy's rotation, requests in flight finished), stopped, started again with
 * the current definition and waited on until ready; then the surge instances are drained and
 * stopped. A replacement that exits or is not ready in time stops the reload: the surge instances
 * go, the old definition is put back and the failed slot starts again with it.
 */
export class RollingReload {
  readonly #options: RollingReloadOptions;
  readonly #name: string;

  constructor(options: RollingReloadOptions) {
    this.#options = options;
    this.#name = options.pool.name;
  }

  /** Runs the reload to its end, telling the bus each step; never rejects. */
  async run(startedAt: number, now: () => number): Promise<ReloadOutcome> {
    const { pool, plan, bus } = this.#options;
    const size = pool.spec.instances;
    bus.emit({
      kind: 'program.reload-started',
      program: this.#name,
      instances: size,
      maxSurge: plan.surge,
      maxUnavailable: plan.unavailable,
      drainTimeoutMs: plan.drainTimeoutMs,
      changed: this.#options.changed,
    });
    try {
      await this.#startSurge(size);
      const step = plan.surge + plan.unavailable;
      for (let first = 0; first < size; first += step) {
        const batch: number[] = [];
        for (let index = first; index < Math.min(size, first + step); index++) batch.push(index);
        await settleAll(batch.map((index) => this.#replace(index)));
      }
      await this.#stopSurge();
      const durationMs = now() - startedAt;
      bus.emit({
        kind: 'program.reload-finished',
        program: this.#name,
        replaced: size,
        durationMs,
      });
      return { ok: true, replaced: size, durationMs };
    } catch (error) {
      const instance = error instanceof ReloadStepError ? error.instance : null;
      const reason = (error as Error).message;
      const restored = await this.#recover(instance);
      bus.emit({
        kind: 'program.reload-failed',
        program: this.#name,
        failedInstance: instance,
        reason,
        restored,
      });
      return { ok: false, instance, reason, restored };
    }
  }

  async #startSurge(size: number): Promise<void> {
    const { pool, plan } = this.#options;
    if (plan.surge === 0) return;
    await this.#options.prepareSurge(size + plan.surge);
    this.#checkWanted(null);
    const added: InstanceSupervisor[] = [];
    for (let count = 0; count < plan.surge; count++) added.push(pool.addSurge());
    await settleAll(
      added.map(async (instance) => {
        const pid = await this.#respawnAndWait(instance, () => instance.start());
        this.#emitReplaced(instance.index, null, pid);
      }),
    );
  }

  /** Drains, stops and starts again one instance of the pool, and waits until its new process is ready. */
  async #replace(index: number): Promise<void> {
    const { pool, drainer, plan } = this.#options;
    const instance = pool.instance(index);
    if (instance === undefined) throw new ReloadStepError(index, `${this.#label(index)} is gone`);
    this.#checkWanted(index);
    const previousPid = instance.pid;
    await drainer.drain(index, plan.drainTimeoutMs);
    try {
      this.#checkWanted(index);
      const pid = await this.#respawnAndWait(instance, () => instance.restart());
      this.#emitReplaced(index, previousPid, pid);
    } finally {
      drainer.endDrain(index);
    }
  }

  async #stopSurge(): Promise<void> {
    const { pool, drainer, plan } = this.#options;
    const surge = pool.instances.slice(pool.spec.instances);
    await Promise.all(surge.map((instance) => drainer.drain(instance.index, plan.drainTimeoutMs)));
    await pool.removeSurge();
    for (const instance of surge) drainer.endDrain(instance.index);
  }

  /**
   * Runs `spawn` (a start or a restart of `instance`) and resolves to the new process's pid once
   * it is ready; rejects when that process exits first, when the spawn fails, or when it is not
   * ready within its start and stop timeouts.
   */
  #respawnAndWait(
    instance: InstanceSupervisor,
    spawn: () => Promise<{ ok: boolean; message?: string }>,
  ): Promise<number> {
    const { bus, runtime } = this.#options;
    const previousPid = instance.pid;
    const label = this.#label(instance.index);
    return new Promise<number>((resolve, reject) => {
      let newPid: number | null = null;
      let guard: { cancel(): void } | null = null;
      let isSettled = false;
      const settle = (error: Error | null, pid?: number): void => {
        if (isSettled) return;
        isSettled = true;
        unsubscribe();
        guard?.cancel();
        if (error) reject(error);
        else resolve(pid as number);
      };
      const check = (): void => {
        const snapshot = instance.snapshot();
        if (snapshot.pid !== null && snapshot.pid !== previousPid && isInstanceReady(snapshot))
          settle(null, snapshot.pid);
      };
      const unsubscribe = bus.subscribe((event) => {
        if (!isAbout(event, this.#name, instance.index)) return;
        if (event.kind === 'instance.spawned' && event.pid !== previousPid && newPid === null) {
          newPid = event.pid;
          const boundMs = instance.spec.startTimeoutMs + instance.spec.stopTimeoutMs;
          guard = runtime.setTimer(boundMs + READY_SLACK_MS, () =>
            settle(
              new ReloadStepError(
                instance.index,
                `${label}'s new process (pid ${newPid}) was not ready within ${formatDuration(boundMs + READY_SLACK_MS)}`,
              ),
            ),
          );
        } else if (event.kind === 'instance.exited' && event.pid === newPid) {
          settle(new ReloadStepError(instance.index, describeEarlyExit(label, event)));
          return;
        } else if (event.kind === 'instance.errored' && newPid !== null) {
          settle(new ReloadStepError(instance.index, `${label} errored: ${event.reason}`));
          return;
        }
        check();
      });
      spawn().then(
        (outcome) => {
          if (!outcome.ok)
            settle(
              new ReloadStepError(
                instance.index,
                `${label} could not start again: ${outcome.message ?? 'unknown reason'}`,
              ),
            );
          else check();
        },
        (error: Error) => settle(new ReloadStepError(instance.index, error.message)),
      );
    });
  }

  /** After a failure: the surge instances go, the old definition comes back, the failed slot starts again with it. */
  async #recover(failed: number | null): Promise<boolean> {
    const { pool } = this.#options;
    await pool.removeSurge().catch(() => {});
    if (pool.desired !== 'running') return false;
    try {
      await this.#options.restoreDefinition();
    } catch {
      return false;
    }
    const instance = failed === null ? undefined : pool.instance(failed);
    if (instance === undefined) return false;
    try {
      await this.#respawnAndWait(instance, () => instance.restart());
      return true;
    } catch {
      return false;
    }
  }

  #checkWanted(index: number | null): void {
    if (this.#options.pool.desired !== 'running') {
      throw new ReloadStepError(index, `${this.#name} was stopped during the reload`);
    }
  }

  #emitReplaced(instance: number, previousPid: number | null, pid: number): void {
    this.#options.bus.emit({
      kind: 'instance.replaced',
      program: this.#name,
      instance,
      role: 'instance',
      previousPid,
      pid,
    });
  }

  #label(index: number): string {
    return `${this.#name}[${index}]`;
  }
}

function isAbout(
  event: TendEvent,
  program: string,
  index: number,
): event is Extract<TendEvent, { role: 'instance' | 'proxy' }> {
  return (
    'role' in event &&
    event.role === 'instance' &&
    event.program === program &&
    event.instance === index
  );
}

function describeEarlyExit(
  label: string,
  exit: Extract<TendEvent, { kind: 'instance.exited' }>,
): string {
  const how =
    exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const why = exit.reason ? ` (${exit.reason})` : '';
  return `${label}'s new process (pid ${exit.pid}) ${how} before it was ready${why}`;
}

/** Awaits every promise (so no step is left half-way), then throws the first failure if any. */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
