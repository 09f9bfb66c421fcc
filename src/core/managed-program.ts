import type { ProgramSpec } from '../config/program-spec.js';
import { ConflictError, SpawnError } from '../errors.js';
import { PoolProxy, type PoolProxyOptions, type PoolProxyView } from '../pool/pool-proxy.js';
import { ProgramSupervisor } from '../supervisor/program-supervisor.js';
import { hasProcessIn } from '../supervisor/transitions.js';
import type {
  AdoptedProcess,
  DesiredState,
  InstanceFact,
  InstanceSnapshot,
  InstanceStats,
  SpawnOutcome,
  SupervisorRuntime,
} from '../supervisor/types.js';
import type { EventBus } from './event-bus.js';
import type { DependencyWait, InstanceRole, TendEventBody, UnblockCause } from './events.js';

/** How a managed program is built. */
export interface ManagedProgramOptions {
  spec: ProgramSpec;
  desired: DesiredState;
  stats: Array<InstanceStats | undefined>;
  runtime: SupervisorRuntime;
  runDir: string;
  /** Where every change of an instance, of the proxy process and of the proxy's membership is told. */
  bus: EventBus;
  onProblem: (message: string, detail?: unknown) => void;
  /** What a task program's proxy asks or tells (allocations, connections), with the program's name. */
  onTaskMessage?: (
    program: string,
    ...rest: Parameters<NonNullable<PoolProxyOptions['onTaskMessage']>>
  ) => void;
}

/** The processes a previous daemon left running for one program, as its state file names them. */
export interface LeftProcesses {
  instances: Map<number, AdoptedProcess & { startedAt: number }>;
  proxy: (AdoptedProcess & { startedAt: number }) | null;
}

/** What replacing a pool's proxy did: the old and new process, and how long its port was closed at most. */
export interface ProxyReplacement {
  previousPid: number | null;
  pid: number | null;
  /** From the stop signal to the old proxy until the new one listened: the port refused connections within this span. */
  closedMs: number;
}

/** Where a scale request wants the pool: an absolute size or a change. */
export type ScaleRequest = { to: number } | { by: number };

/**
 * A program as the daemon runs it: its pool of instances and, when it has one, the proxy in
 * front of them. Keeps the two in step (start, stop, scale) and tells the bus what happens to
 * each process; the proxy's membership is fed by a subscriber of those events.
 */
export class ManagedProgram {
  readonly pool: ProgramSupervisor;
  readonly proxy: PoolProxy | null;
  readonly #bus: EventBus;
  readonly #runtime: SupervisorRuntime;
  #waiting: DependencyWait | null = null;
  /** The proxy replacement under way: a second request joins it rather than replacing the new proxy again. */
  #proxyReplacement: Promise<ProxyReplacement> | null = null;

  constructor(options: ManagedProgramOptions) {
    this.#bus = options.bus;
    this.#runtime = options.runtime;
    this.pool = new ProgramSupervisor({
      spec: options.spec,
      desired: options.desired,
      stats: options.stats,
      runtime: options.runtime,
      onChange: () => {},
      onFact: (instance, fact) => this.#emitFact('instance', instance, fact),
    });
    this.proxy = options.spec.proxy
      ? new PoolProxy({
          spec: options.spec,
          runDir: options.runDir,
          runtime: options.runtime,
          onChange: () => {},
          onFact: (fact) => this.#emitFact('proxy', 0, fact),
          onMembership: (update) =>
            this.#bus.emit({ kind: 'proxy.membership', program: this.name, ...update }),
          onProblem: options.onProblem,
          onSuspect: (instance, reason) => this.#reportSuspect(instance, reason),
          onTaskMessage: (message, reply) =>
            options.onTaskMessage?.(options.spec.name, message, reply),
        })
      : null;
  }

  get name(): string {
    return this.pool.name;
  }

  get spec(): ProgramSpec {
    return this.pool.spec;
  }

  get desired(): DesiredState {
    return this.pool.desired;
  }

  /** Why the program, meant to run, waits for its dependencies before it starts; null when it does not wait. */
  get waiting(): DependencyWait | null {
    return this.#waiting;
  }

  /** Whether any instance has a process (running, starting or stopping). */
  get hasProcess(): boolean {
    return this.pool.instances.some((instance) => hasProcessIn(instance.state));
  }

  /**
   * Keeps the program meant to run but not started until its dependencies are ready: instances
   * left errored or waiting to restart are stopped first, so none starts by itself. Tells the bus
   * (`program.waiting`) when the program begins to wait and whenever the reason changes.
   */
  async waitFor(wait: DependencyWait): Promise<void> {
    if (
      this.#waiting === null &&
      this.pool.instances.some((instance) => instance.state !== 'stopped')
    ) {
      await this.pool.stop();
    }
    this.pool.markMeantToRun();
    const previous = this.#waiting;
    this.#waiting = wait;
    if (previous?.reason === wait.reason && previous.isStuck === wait.isStuck) return;
    this.#bus.emit({ kind: 'program.waiting', program: this.name, ...wait });
  }

  /** Starts the instances, then the proxy; a proxy that cannot listen is reported as a failed outcome. */
  async start(): Promise<SpawnOutcome[]> {
    this.#stopWaiting('dependencies-ready');
    const outcomes = await this.pool.start();
    return [...outcomes, ...(await this.#startProxy())];
  }

  /** Takes over the processes a previous daemon left running; returns how many were taken and how many were gone. */
  adopt(left: LeftProcesses): { adopted: number; gone: number } {
    let adopted = 0;
    let gone = 0;
    for (const [index, process] of left.instances) {
      if (this.pool.adopt(index, process)) adopted += 1;
      else gone += 1;
    }
    if (left.proxy && this.proxy) {
      if (this.proxy.adopt(left.proxy)) adopted += 1;
      else gone += 1;
    }
    return { adopted, gone };
  }

  /** Sends the proxy the pool's current instances (the proxy feed calls it after each instance event). */
  feedProxy(): void {
    this.proxy?.setMembers(this.pool.snapshot().instances);
  }

  /** Stops the proxy first (no new traffic to instances that are going away), then the instances. */
  async stop(): Promise<void> {
    this.#stopWaiting('stopped');
    // Not meant to run from now on, while the proxy stops: nothing starts meanwhile, and the
    // proxy's exit does not end its tasks as their owners leaving (task-service.ts).
    this.pool.markStopped();
    // Without a proxy the instances get their stop signal synchronously.
    if (this.proxy) await this.proxy.stop();
    await this.pool.stop();
  }

  /** Restarts every instance; the proxy keeps serving the others meanwhile and waits for them. */
  async restart(): Promise<SpawnOutcome[]> {
    this.#stopWaiting('dependencies-ready');
    const outcomes = await this.pool.restart();
    return [...outcomes, ...(await this.#startProxy())];
  }

  /**
   * Replaces the proxy process with a new one, which runs the code installed now (an adopted proxy
   * keeps the code it was started with). Node 20 cannot hand a listening socket to another process
   * without a native module, so the port refuses connections from the old proxy's stop until the
   * new one listens, and the connections through the old one are cut. The instances keep running.
   */
  restartProxy(): Promise<ProxyReplacement> {
    const proxy = this.proxy;
    if (proxy === null) throw new Error(`${this.name} has no proxy`);
    this.#proxyReplacement ??= (async () => {
      const previousPid = proxy.processSnapshot().pid;
      const stoppedAt = this.#runtime.now();
      await proxy.stop();
      const outcome = await proxy.start();
      if (!outcome.ok) throw new SpawnError(outcome.message, undefined);
      return {
        previousPid,
        pid: proxy.processSnapshot().pid,
        closedMs: this.#runtime.now() - stoppedAt,
      };
    })().finally(() => {
      this.#proxyReplacement = null;
    });
    return this.#proxyReplacement;
  }

  /** The pool size a scale request asks for, refused past the bounds with a message that names the bound. */
  targetSize(request: ScaleRequest): number {
    const { instances, min, max, name } = this.spec;
    const target = 'to' in request ? request.to : instances + request.by;
    if (target > max) {
      throw new ConflictError(
        'TEND_ERR_SCALE_OUT_OF_BOUNDS',
        `cannot scale ${name} to ${target}: max is ${max}`,
      );
    }
    if (target < min) {
      throw new ConflictError(
        'TEND_ERR_SCALE_OUT_OF_BOUNDS',
        `cannot scale ${name} to ${target}: min is ${min}`,
      );
    }
    return target;
  }

  /** Grows or shrinks the pool to `size` (new instances at the top, the highest stopped first). */
  async scale(size: number): Promise<SpawnOutcome[]> {
    const spec = { ...this.spec, instances: size };
    this.#bus.emit({
      kind: 'program.scaled',
      program: this.name,
      from: this.spec.instances,
      to: size,
    });
    this.proxy?.updateSpec(spec);
    return this.pool.updateSpec(spec, { isStartingAdded: this.#waiting === null });
  }

  /** Replaces the definition (pool size included); running processes keep theirs until respawned. */
  update(spec: ProgramSpec): Promise<SpawnOutcome[]> {
    this.proxy?.updateSpec(spec);
    return this.pool.updateSpec(spec);
  }

  /** The proxy's state and counters, when the program has a proxy. */
  async proxyView(): Promise<PoolProxyView | null> {
    return this.proxy ? this.proxy.view() : null;
  }

  /** The proxy process, for the state file. */
  proxySnapshot(): InstanceSnapshot | null {
    return this.proxy ? this.proxy.processSnapshot() : null;
  }

  async #startProxy(): Promise<SpawnOutcome[]> {
    if (!this.proxy) return [];
    try {
      return [await this.proxy.start()];
    } catch (error) {
      return [{ ok: false, errno: undefined, message: (error as Error).message }];
    }
  }

  /** The proxy found an instance silent: told on the bus, whose probe wiring runs its liveness probe. */
  #reportSuspect(instance: number, reason: string): void {
    const pid = this.pool.instance(instance)?.pid ?? null;
    if (pid === null) return;
    this.#bus.emit({
      kind: 'instance.suspect',
      program: this.name,
      instance,
      role: 'instance',
      pid,
      reason,
    });
  }

  #stopWaiting(cause: UnblockCause): void {
    if (this.#waiting === null) return;
    this.#waiting = null;
    this.#bus.emit({ kind: 'program.unblocked', program: this.name, cause });
  }

  #emitFact(role: InstanceRole, instance: number, fact: InstanceFact): void {
    this.#bus.emit(toEventBody(this.name, role, instance, fact));
  }
}

/** The bus event for one supervisor fact. */
function toEventBody(
  program: string,
  role: InstanceRole,
  instance: number,
  fact: InstanceFact,
): TendEventBody {
  const about = { program, instance, role };
  switch (fact.type) {
    case 'state':
      return {
        kind: 'instance.state',
        ...about,
        state: fact.state,
        previous: fact.previous,
        pid: fact.pid,
        reason: fact.reason,
      };
    case 'spawned':
      return { kind: 'instance.spawned', ...about, pid: fact.pid };
    case 'restarted':
      return { kind: 'instance.restarted', ...about, pid: fact.pid, cause: fact.cause };
    case 'ready':
      return { kind: 'instance.ready', ...about, pid: fact.pid };
    case 'not-ready':
      return { kind: 'instance.not-ready', ...about, pid: fact.pid, reason: fact.reason };
    case 'probe-failed':
      return {
        kind: 'instance.probe-failed',
        ...about,
        pid: fact.pid,
        probe: fact.probe,
        reason: fact.reason,
      };
    case 'exited':
      return {
        kind: 'instance.exited',
        ...about,
        pid: fact.pid,
        code: fact.code,
        signal: fact.signal,
        uptimeMs: fact.uptimeMs,
        isFailure: fact.isFailure,
        reason: fact.reason,
      };
    case 'errored':
      return { kind: 'instance.errored', ...about, reason: fact.reason };
  }
}
