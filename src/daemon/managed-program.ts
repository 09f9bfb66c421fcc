import type { ProgramSpec } from '../config/program-spec.js';
import { ConflictError } from '../errors.js';
import { PoolProxy, type PoolProxyView } from '../pool/pool-proxy.js';
import { ProgramSupervisor } from '../supervisor/program-supervisor.js';
import type {
  DesiredState,
  InstanceSnapshot,
  InstanceStats,
  SpawnOutcome,
  SupervisorRuntime,
} from '../supervisor/types.js';

/** How a managed program is built. */
export interface ManagedProgramOptions {
  spec: ProgramSpec;
  desired: DesiredState;
  stats: Array<InstanceStats | undefined>;
  runtime: SupervisorRuntime;
  runDir: string;
  /** Called after any change of an instance (or of the proxy process, with `isProxy`). */
  onChange: (program: ManagedProgram, snapshot: InstanceSnapshot, isProxy: boolean) => void;
  onProblem: (message: string, detail?: unknown) => void;
}

/** Where a scale request wants the pool: an absolute size or a change. */
export type ScaleRequest = { to: number } | { by: number };

/**
 * A program as the daemon runs it: its pool of instances and, when it has one, the proxy in
 * front of them. Keeps the two in step: start, stop, scale, and the proxy's membership.
 */
export class ManagedProgram {
  readonly pool: ProgramSupervisor;
  readonly proxy: PoolProxy | null;

  constructor(options: ManagedProgramOptions) {
    this.pool = new ProgramSupervisor({
      spec: options.spec,
      desired: options.desired,
      stats: options.stats,
      runtime: options.runtime,
      onChange: (snapshot) => {
        this.proxy?.setMembers(this.pool.snapshot().instances);
        options.onChange(this, snapshot, false);
      },
    });
    this.proxy = options.spec.proxy
      ? new PoolProxy({
          spec: options.spec,
          runDir: options.runDir,
          runtime: options.runtime,
          onChange: (snapshot) => options.onChange(this, snapshot, true),
          onProblem: options.onProblem,
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

  /** Starts the instances, then the proxy; a proxy that cannot listen is reported as a failed outcome. */
  async start(): Promise<SpawnOutcome[]> {
    const outcomes = await this.pool.start();
    this.proxy?.setMembers(this.pool.snapshot().instances);
    return [...outcomes, ...(await this.#startProxy())];
  }

  /** Stops the proxy first (no new traffic to instances that are going away), then the instances. */
  async stop(): Promise<void> {
    await this.proxy?.stop();
    await this.pool.stop();
  }

  /** Restarts every instance; the proxy keeps serving the others meanwhile and waits for them. */
  async restart(): Promise<SpawnOutcome[]> {
    const outcomes = await this.pool.restart();
    return [...outcomes, ...(await this.#startProxy())];
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
    this.proxy?.updateSpec(spec);
    const outcomes = await this.pool.updateSpec(spec);
    this.proxy?.setMembers(this.pool.snapshot().instances);
    return outcomes;
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
}
