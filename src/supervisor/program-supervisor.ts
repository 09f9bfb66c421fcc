import type { ProgramSpec } from '../config/program-spec.js';
import { InstanceSupervisor } from './instance-supervisor.js';
import { type PacedStart, StartPacer } from './start-pacer.js';
import type {
  AdoptedProcess,
  DesiredState,
  InstanceFact,
  InstanceSnapshot,
  InstanceState,
  InstanceStats,
  ProgramSnapshot,
  SpawnOutcome,
  SupervisorRuntime,
} from './types.js';

/** What a ProgramSupervisor needs: the program, the world, and who to tell about instance changes. */
export interface ProgramSupervisorOptions {
  spec: ProgramSpec;
  runtime: SupervisorRuntime;
  /** Called with an instance's new snapshot after each change of that instance. */
  onChange: (snapshot: InstanceSnapshot) => void;
  /** Told what happened to an instance, in order, just before its `onChange`. */
  onFact?: (instance: number, fact: InstanceFact) => void;
  /** Statistics restored from disk, by instance index. */
  stats?: ReadonlyArray<InstanceStats | undefined>;
  /** What the user wanted before the daemon restarted; the caller still calls `start()` to act on it. */
  desired?: DesiredState;
  /** How many instances may be starting at once (start-pacer.ts); tests lower it. */
  pacing?: { limit: number };
}

/** Supervises one program: its definition, whether it should run, and its instances 0..n-1. */
export class ProgramSupervisor {
  readonly #runtime: SupervisorRuntime;
  readonly #onChange: (snapshot: InstanceSnapshot) => void;
  readonly #onFact: (instance: number, fact: InstanceFact) => void;
  readonly #instances: InstanceSupervisor[] = [];
  readonly #pacer: StartPacer<InstanceSupervisor>;
  #spec: ProgramSpec;
  #desired: DesiredState;

  constructor(options: ProgramSupervisorOptions) {
    this.#spec = options.spec;
    this.#runtime = options.runtime;
    this.#onChange = options.onChange;
    this.#onFact = options.onFact ?? (() => {});
    this.#desired = options.desired ?? 'stopped';
    this.#pacer = new StartPacer({ runtime: options.runtime, ...options.pacing });
    while (this.#instances.length < this.#spec.instances) {
      this.#addInstance(options.stats?.[this.#instances.length]);
    }
  }

  /** The program's name. */
  get name(): string {
    return this.#spec.name;
  }

  /** The program's current definition. */
  get spec(): ProgramSpec {
    return this.#spec;
  }

  /** Whether the user wants the program running or stopped. */
  get desired(): DesiredState {
    return this.#desired;
  }

  /** The instances, by index. */
  get instances(): readonly InstanceSupervisor[] {
    return this.#instances;
  }

  /** The instance with this index, or undefined. */
  instance(index: number): InstanceSupervisor | undefined {
    return this.#instances[index];
  }

  /** Takes over the process a previous daemon left running for instance `index` (see InstanceSupervisor.adopt). */
  adopt(index: number, adopted: AdoptedProcess & { startedAt: number }): boolean {
    return this.#instances[index]?.adopt(adopted) ?? false;
  }

  /**
   * Starts every instance that is not running, at most START_CONCURRENCY at a time (start-pacer.ts):
   * resolves to the spawn results of those started at once, by index; the others start as those
   * become ready, and one that fails then is left errored like any failed spawn.
   */
  start(): Promise<SpawnOutcome[]> {
    this.#desired = 'running';
    return this.#pacer.enqueue(this.#instances.map((instance) => this.#pacedStart(instance)));
  }

  /**
   * Starts one instance through the pacer: at once while fewer than START_CONCURRENCY start, else
   * when a place frees, so that a task fleet whose tasks all end together does not respawn all at
   * once. Nothing happens unless the pool should run; a failure leaves the instance errored.
   */
  startInstance(index: number): void {
    const instance = this.#instances[index];
    if (instance === undefined || this.#desired !== 'running') return;
    void this.#pacer.enqueue([this.#pacedStart(instance)]);
  }

  /** Records that the program should run without starting anything yet (it waits for its dependencies). */
  markMeantToRun(): void {
    this.#desired = 'running';
  }

  /** Records that the program is no longer meant to run, before its stop (its proxy stops first). */
  markStopped(): void {
    this.#desired = 'stopped';
    this.#pacer.clear();
  }

  /** Stops every instance; resolves once all their processes have exited. */
  async stop(): Promise<void> {
    this.#desired = 'stopped';
    this.#pacer.clear();
    await Promise.all(this.#instances.map((instance) => instance.stop()));
  }

  /**
   * Restarts every instance, at most START_CONCURRENCY at a time (as `start`): each restart holds
   * its place while its process stops and the new one starts, so a pool of 1,000 is not stopped
   * and spawned in one burst, and never more than that many instances are out at once. Resolves
   * to the spawn results of those restarted at once; the others follow as places free.
   */
  restart(): Promise<SpawnOutcome[]> {
    this.#desired = 'running';
    // One still starting holds its place already: it restarts now, in that place.
    const inPlace = new Set(this.#instances.filter((instance) => this.#pacer.holds(instance)));
    const paced = this.#pacer.enqueue(
      this.#instances
        .filter((instance) => !inPlace.has(instance))
        .map((instance) => ({ ...this.#pacedStart(instance), run: () => instance.restart() })),
    );
    return Promise.all([...[...inPlace].map((instance) => instance.restart()), paced]).then(
      (outcomes) => outcomes.flat(),
    );
  }

  /**
   * Replaces the definition. Running instances keep their process; the new definition applies from
   * their next spawn. When `spec.instances` changed, instances are added or removed at the highest
   * indexes (added ones start if the program should run; removed ones are stopped first).
   * Resolves to the spawn results of the added instances started at once (they are paced as in
   * `start`). The name must not change. With `isStartingAdded: false` (a program waiting for its
   * dependencies) added instances stay stopped.
   */
  async updateSpec(
    spec: ProgramSpec,
    options: { isStartingAdded?: boolean } = {},
  ): Promise<SpawnOutcome[]> {
    this.#spec = spec;
    for (const instance of this.#instances) instance.updateSpec(spec);
    const removals: Promise<void>[] = [];
    while (this.#instances.length > spec.instances) removals.push(this.#removeHighestInstance());
    const added: InstanceSupervisor[] = [];
    while (this.#instances.length < spec.instances) added.push(this.#addInstance(undefined));
    const isStarting = this.#desired === 'running' && options.isStartingAdded !== false;
    const outcomes = isStarting
      ? this.#pacer.enqueue(added.map((instance) => this.#pacedStart(instance)))
      : [];
    await Promise.all(removals);
    return outcomes;
  }

  /**
   * Adds a temporary instance past the pool's size, at the next index and port (a reload's surge
   * instance); the caller starts it. It is listed and fed to the proxy like any other, and goes
   * with `removeSurge` (or any change of the pool's size).
   */
  addSurge(): InstanceSupervisor {
    return this.#addInstance(undefined);
  }

  /** Stops and forgets the instances past the pool's size; resolves once their processes have exited. */
  async removeSurge(): Promise<void> {
    const removals: Promise<void>[] = [];
    while (this.#instances.length > this.#spec.instances)
      removals.push(this.#removeHighestInstance());
    await Promise.all(removals);
  }

  /** A plain copy of the program and its instances. */
  snapshot(): ProgramSnapshot {
    return {
      name: this.#spec.name,
      spec: this.#spec,
      desired: this.#desired,
      instances: this.#instances.map((instance) => instance.snapshot()),
    };
  }

  /** An instance's start for the pacer: wanted while the pool should run and still holds it. */
  #pacedStart(instance: InstanceSupervisor): PacedStart<InstanceSupervisor> {
    return {
      key: instance,
      run: () => instance.start(),
      isWanted: () => this.#desired === 'running' && this.#instances[instance.index] === instance,
      // A restart passes through `stopping` first: it holds its place from the stop on.
      isStarting: () => isPlaceHeld(instance.state),
    };
  }

  /** The one place where instances are created (pool scaling adds at the highest index too). */
  #addInstance(stats: InstanceStats | undefined): InstanceSupervisor {
    const index = this.#instances.length;
    const instance: InstanceSupervisor = new InstanceSupervisor({
      spec: this.#spec,
      index,
      runtime: this.#runtime,
      onChange: this.#onChange,
      onFact: (fact) => {
        // Leaving `starting` (ready, exited, stopped, failed) frees its place for the next start.
        // The state now, not the fact's: a restart's stop is told `stopped`, then `starting`.
        if (fact.type === 'state' && !isPlaceHeld(instance.state)) this.#pacer.release(instance);
        this.#onFact(index, fact);
      },
      ...(stats ? { stats } : {}),
    });
    this.#instances.push(instance);
    return instance;
  }

  /** The one place where instances are removed: the highest index, stopped before it is forgotten. */
  #removeHighestInstance(): Promise<void> {
    const instance = this.#instances.pop();
    return instance ? instance.stop() : Promise.resolve();
  }
}

/** The states in which a paced start or restart keeps its place: its process stopping, then starting. */
function isPlaceHeld(state: InstanceState): boolean {
  return state === 'starting' || state === 'stopping';
}
