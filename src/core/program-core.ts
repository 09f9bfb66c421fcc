import { isDeepStrictEqual } from 'node:util';
import type { ProgramSpec } from '../config/program-spec.js';
import type { ReloadPacing } from '../config/reload-defaults.js';
import { changedSpecFields } from '../config/spec-changes.js';
import { ConflictError, NotFoundError, SpawnError, TendError } from '../errors.js';
import { proxyProgramName } from '../pool/proxy-name.js';
import type { SignalName } from '../process/signals.js';
import type { PersistedProgram } from '../store/persisted-state.js';
import type {
  AdoptedProcess,
  DesiredState,
  InstanceSnapshot,
  InstanceStats,
  ProbeFailure,
  SpawnOutcome,
  SupervisorRuntime,
} from '../supervisor/types.js';
import { refuseBadDependencies, refuseNeededRemoval } from './dependency-checks.js';
import { dependencyWaves, withDependencies } from './dependency-graph.js';
import type { EventBus } from './event-bus.js';
import type { TendEvent } from './events.js';
import {
  type LeftProcesses,
  ManagedProgram,
  type ManagedProgramOptions,
  type ProxyReplacement,
  type ScaleRequest,
} from './managed-program.js';
import { dependencyWaitOf } from './program-readiness.js';
import { type ReloadPlan, reloadPlan } from './reload-plan.js';
import { type ReloadDrainer, type ReloadOutcome, RollingReload } from './rolling-reload.js';

/** What the core needs from the output capture: the FIFOs must exist before a spawn. */
export interface OutputPort {
  prepare(name: string, instances: number): Promise<void>;
  remove(name: string): void | Promise<void>;
}

/** Dependencies of the core: the process runtime, the bus it tells every change, and the output capture. */
export interface ProgramCoreOptions {
  runtime: SupervisorRuntime;
  bus: EventBus;
  output: OutputPort;
  /** Where proxies put their control sockets. */
  runDir: string;
  onProblem: (message: string, detail?: unknown) => void;
  /** Refuses ports that another process holds (TEND_ERR_PORT_IN_USE); `range` limits it to new instances. */
  ports?: PortGuard;
  /** What a task program's proxy asks or tells (see ManagedProgramOptions.onTaskMessage). */
  onTaskMessage?: ManagedProgramOptions['onTaskMessage'];
}

/**
 * Checks that a program's ports are free before its instances need them; given a running
 * program, the sockets of its own processes do not count.
 */
export interface PortGuard {
  refuseTaken(
    program: ProgramSpec | ManagedProgram,
    range?: { from: number; size: number },
  ): Promise<void>;
}

/** Programs to act on: one name, several, or `all`. */
export type Target = string | readonly string[];

/** A signal to send to the running instances of a target; the name is already checked. */
export interface SignalOrder {
  signal: SignalName;
  instance?: number | undefined;
  group?: boolean | undefined;
}

/** What a reload is asked for: a new definition (checked; none keeps the current one) and its pacing. */
export interface ReloadRequest {
  spec?: ProgramSpec | undefined;
  pacing: ReloadPacing;
}

/** A reload that has begun: its settled pacing, the definition fields it applies, and its end. */
export interface StartedReload {
  plan: ReloadPlan;
  changed: string[];
  done: Promise<ReloadOutcome>;
}

/** One process a signal was sent to. */
export interface SignalDelivery {
  name: string;
  instance: number;
  pid: number;
  signal: SignalName;
}

/**
 * The daemon's domain core: the set of programs and their instances, and every action on them
 * (add, start, stop, restart, scale, remove, signal). It takes checked input, returns the
 * programs it acted on, and tells the bus every change; persistence, readiness checks, pid
 * tracking, the proxy feed and the API's views live outside it, as subscribers or callers.
 * It imports nothing from the API.
 */
export class ProgramCore {
  readonly #options: ProgramCoreOptions;
  readonly #programs = new Map<string, ManagedProgram>();
  #isClosing = false;
  #isCheckQueued = false;
  /** Programs with a reload running; a second one of the same program is refused. */
  readonly #reloading = new Set<string>();
  /** What each program was meant to be when the daemon began to stop, so that the next start restores it. */
  #desiredAtClose = new Map<string, DesiredState>();

  constructor(options: ProgramCoreOptions) {
    this.#options = options;
    // Programs waiting for their dependencies start from here, on the event that made them ready.
    options.bus.subscribe((event) => this.#onEvent(event));
  }

  /**
   * Brings back the programs of the state file, then starts those meant to be running in
   * dependency order: one whose dependencies are not ready yet waits and starts when they are.
   * With `adopt`, the processes a previous daemon left running (after its crash, or at a
   * hand-over) are taken over first, and only the others are started; resolves to how many were
   * taken over and how many had ended meanwhile.
   */
  async restore(
    programs: PersistedProgram[],
    options: { adopt: boolean } = { adopt: false },
  ): Promise<{ adopted: number; gone: number }> {
    const recovery = { adopted: 0, gone: 0 };
    for (const persisted of programs) {
      await this.#prepareOutput(persisted.spec);
      const program = this.#createProgram(persisted.spec, persisted.desired, persisted);
      this.#programs.set(persisted.spec.name, program);
      this.#options.bus.emit({
        kind: 'program.added',
        program: persisted.spec.name,
        spec: persisted.spec,
      });
      if (persisted.desired === 'running' && options.adopt) {
        const taken = program.adopt(leftProcesses(persisted));
        recovery.adopted += taken.adopted;
        recovery.gone += taken.gone;
      }
    }
    const meantToRun = programs
      .filter((persisted) => persisted.desired === 'running')
      .map((persisted) => persisted.spec.name);
    for (const wave of this.#waves(meantToRun)) {
      await Promise.all(
        wave.map(async (program) => {
          for (const outcome of await this.#startOrWait(program)) {
            if (!outcome.ok) this.#options.onProblem(`${program.name}: ${outcome.message}`);
          }
        }),
      );
    }
    return recovery;
  }

  /** Every program, sorted by name. */
  list(): ManagedProgram[] {
    return [...this.#programs.keys()].sort().map((name) => this.get(name));
  }

  /** One program; throws TEND_ERR_PROGRAM_NOT_FOUND. */
  get(name: string): ManagedProgram {
    const program = this.#programs.get(name);
    if (!program) {
      throw new NotFoundError(
        'TEND_ERR_PROGRAM_NOT_FOUND',
        `No program named \`${name}\`; \`tend ls\` lists the managed programs`,
      );
    }
    return program;
  }

  /** One program, or undefined. */
  find(name: string): ManagedProgram | undefined {
    return this.#programs.get(name);
  }

  /** Whether a program of that name is managed. */
  has(name: string): boolean {
    return this.#programs.has(name);
  }

  /** Adds and starts a program; a first spawn that fails is reported and nothing is kept. */
  async add(spec: ProgramSpec): Promise<ManagedProgram> {
    this.#refuseWhileClosing();
    if (this.#programs.has(spec.name)) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_EXISTS',
        `A program named \`${spec.name}\` is already managed; choose another --name or \`tend delete ${spec.name}\` first`,
      );
    }
    refuseBadDependencies(spec, this.#dependenciesOf);
    const dependencies = this.#withDependencies(spec.dependsOn.map((name) => this.get(name)));
    await this.#options.ports?.refuseTaken(spec);
    for (const dependency of dependencies) await this.#options.ports?.refuseTaken(dependency);
    // Checked again after the wait: two concurrent adds of one name cannot both win.
    if (this.#programs.has(spec.name)) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_EXISTS',
        `A program named \`${spec.name}\` is already managed; choose another --name or \`tend delete ${spec.name}\` first`,
      );
    }
    const program = this.#createProgram(spec, 'running');
    this.#programs.set(spec.name, program);
    this.#options.bus.emit({ kind: 'program.added', program: spec.name, spec });
    try {
      await this.#prepareOutput(spec);
      // What it depends on starts first when it is not running (like systemd's Requires= with After=).
      const dependencyFailures = await this.#startInWaves(dependencies);
      if (dependencyFailures.length > 0) {
        await this.#removeOutput(spec);
        this.#throwSpawnFailures(dependencyFailures);
      }
      const failure = (await this.#startOrWait(program)).find((outcome) => !outcome.ok);
      if (failure && !failure.ok) {
        await program.stop();
        await this.#removeOutput(spec);
        throw new SpawnError(failure.message, failure.errno);
      }
      return program;
    } catch (error) {
      this.#programs.delete(spec.name);
      this.#options.bus.emit({ kind: 'program.removed', program: spec.name });
      throw error;
    }
  }

  /**
   * Starts the targeted programs that are not running (errored instances are reset), and first the
   * programs they depend on; one whose dependencies are not ready waits, and starts when they are.
   * Resolves to every program it acted on, dependencies first.
   */
  async start(target: Target): Promise<ManagedProgram[]> {
    this.#refuseWhileClosing();
    const programs = this.#withDependencies(this.#targets(target));
    for (const program of programs) await this.#options.ports?.refuseTaken(program);
    this.#throwSpawnFailures(await this.#startInWaves(programs));
    return programs;
  }

  /** Stops the targeted programs, dependents before what they depend on; resolves once every process has exited. */
  async stop(target: Target): Promise<ManagedProgram[]> {
    const programs = this.#targets(target);
    await this.#stopInWaves(programs, (program) =>
      this.#changingDesired(program, () => program.stop()),
    );
    return programs;
  }

  /**
   * Restarts the targeted programs (an errored one starts afresh), after starting what they depend
   * on that is not running; one whose dependencies are not ready is stopped and waits for them.
   */
  async restart(target: Target): Promise<ManagedProgram[]> {
    this.#refuseWhileClosing();
    const targets = new Set(this.#targets(target));
    const programs = this.#withDependencies([...targets]);
    for (const program of programs) await this.#options.ports?.refuseTaken(program);
    const failures: string[] = [];
    for (const wave of this.#waves(programs.map((program) => program.name))) {
      const outcomes = await Promise.all(
        wave.map((program) =>
          this.#changingDesired(program, () =>
            targets.has(program) ? this.#restartOrWait(program) : this.#startOrWait(program),
          ),
        ),
      );
      for (const outcome of outcomes.flat()) if (!outcome.ok) failures.push(outcome.message);
    }
    this.#throwSpawnFailures(failures);
    return programs;
  }

  /**
   * Replaces the proxy of each targeted pool (`all`: every pool that has one) with a new process
   * (the code installed now), one pool after the other, leaving the instances alone; each port
   * refuses connections for the span its answer gives (see ManagedProgram.restartProxy). Every
   * program is checked before any proxy is touched.
   */
  async restartProxies(target: Target): Promise<Array<ProxyReplacement & { name: string }>> {
    this.#refuseWhileClosing();
    const programs = this.#targets(target).filter(
      (program) => target !== 'all' || program.proxy !== null,
    );
    const untouched = programs.length > 1 ? '; nothing was done' : '';
    for (const program of programs) {
      const name = program.name;
      if (program.proxy === null) {
        throw new ConflictError(
          'TEND_ERR_PROGRAM_NO_PROXY',
          `\`${name}\` has no proxy (it was started without --proxy-port); \`tend restart ${name}\` restarts its instances${untouched}`,
        );
      }
      this.#refuseWhileReloading(name, 'restart the proxy of');
      if (program.desired !== 'running' || program.waiting !== null) {
        throw new ConflictError(
          'TEND_ERR_PROGRAM_NOT_RUNNING',
          `The proxy of \`${name}\` is not running: it starts with the pool (\`tend start ${name}\`)${untouched}`,
        );
      }
    }
    const replaced: Array<ProxyReplacement & { name: string }> = [];
    for (const program of programs) {
      replaced.push({ name: program.name, ...(await program.restartProxy()) });
    }
    return replaced;
  }

  /** Grows or shrinks a pool within its bounds; a request past a bound changes nothing. */
  async scale(name: string, request: ScaleRequest): Promise<ManagedProgram> {
    this.#refuseWhileClosing();
    const program = this.get(name);
    this.#refuseWhileReloading(name, 'scale');
    const size = program.targetSize(request);
    await this.#options.ports?.refuseTaken(program, { from: program.spec.instances, size });
    await this.#options.output.prepare(name, size);
    const outcomes = await program.scale(size);
    this.#throwSpawnFailures(outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.message])));
    return program;
  }

  /**
   * Stops and forgets the targeted programs, dependents first; resolves to their names. A program
   * that another one (not removed with it) depends on is refused, unless `force`: then its
   * dependents stay, waiting for a program of that name.
   */
  async remove(target: Target, options: { force?: boolean } = {}): Promise<string[]> {
    const programs = this.#targets(target);
    if (!options.force) refuseNeededRemoval(programs, [...this.#programs.values()]);
    await this.#stopInWaves(programs, async (program) => {
      await program.stop();
      this.#programs.delete(program.spec.name);
      await this.#removeOutput(program.spec);
      this.#options.bus.emit({ kind: 'program.removed', program: program.spec.name });
    });
    return programs.map((program) => program.spec.name);
  }

  /** Sends a signal to the main process (or group) of the targeted running instances. */
  signal(target: string, order: SignalOrder): SignalDelivery[] {
    const { signal } = order;
    const delivered: SignalDelivery[] = [];
    const programs = this.#targets(target);
    // `all` with no program is nothing to do, as `stop all` is; a program with no process is a conflict.
    if (programs.length === 0) return delivered;
    for (const program of programs) {
      for (const instance of this.#selectInstances(program, order.instance)) {
        if (instance.pid === null) continue;
        this.#options.runtime.signal(instance.pid, signal, order.group ? 'group' : 'process');
        delivered.push({
          name: instance.name,
          instance: instance.instance,
          pid: instance.pid,
          signal,
        });
      }
    }
    if (delivered.length === 0) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_NOT_RUNNING',
        target === 'all'
          ? `No program has a running process to send ${signal} to; start one first`
          : `No running process of \`${describeTarget(target, order.instance)}\` to send ${signal} to; start it first`,
      );
    }
    return delivered;
  }

  /** Tells an instance that process `pid` passed its readiness check; a stale answer is ignored. */
  markReady(name: string, instance: number, pid: number): void {
    this.#programs.get(name)?.pool.instance(instance)?.markReady(pid);
  }

  /** Tells an instance that process `pid` failed its readiness probe: out of rotation, not restarted. */
  markNotReady(name: string, instance: number, pid: number, reason: string): void {
    this.#programs.get(name)?.pool.instance(instance)?.markNotReady(pid, reason);
  }

  /** Keeps a failed probe check of process `pid` in the instance's history (and on the bus). */
  noteProbeFailure(name: string, instance: number, pid: number, failure: ProbeFailure): void {
    this.#programs.get(name)?.pool.instance(instance)?.noteProbeFailure(pid, failure);
  }

  /**
   * Tells an instance that process `pid` is hung (liveness, heartbeat, memory, silence): it is
   * killed and restarted per its policy, its exit recorded with `reason`; a stale pid is ignored.
   */
  declareHung(name: string, instance: number, pid: number, reason: string): void {
    this.#programs.get(name)?.pool.instance(instance)?.declareHung(pid, reason);
  }

  /**
   * Keeps what process `pid` of an instance says about itself (STATUS=…) and tells the bus
   * (`instance.status`); a stale pid is ignored.
   */
  noteStatus(name: string, instance: number, pid: number, text: string): void {
    const supervisor = this.#programs.get(name)?.pool.instance(instance);
    if (!supervisor?.noteStatus(pid, text)) return;
    this.#options.bus.emit({
      kind: 'instance.status',
      program: name,
      instance,
      role: 'instance',
      pid,
      text,
    });
  }

  /**
   * Replaces a program's definition without restarting anything: running processes keep theirs,
   * the next spawns (restarts, reloads) use the new one; a changed pool size adds or stops
   * instances as scaling does. Resolves to the names of the fields that changed (none: nothing
   * happens). Adding or removing the proxy is refused: it needs the program deleted and added.
   */
  async update(spec: ProgramSpec): Promise<string[]> {
    this.#refuseWhileClosing();
    this.get(spec.name);
    this.#refuseWhileReloading(spec.name, 'change');
    return this.#update(spec);
  }

  /**
   * Starts a rolling reload: the new definition (if any) replaces the old one as `update` does,
   * then every instance gets a new process, a few at a time per the plan, never taking more out
   * of rotation than it allows (see RollingReload). Resolves once it has begun; `done` resolves
   * at its end, with why it failed if it did. One reload per program at a time.
   */
  async reload(name: string, request: ReloadRequest): Promise<StartedReload> {
    this.#refuseWhileClosing();
    const program = this.get(name);
    this.#refuseWhileReloading(name, 'reload');
    if (program.desired !== 'running') {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_NOT_RUNNING',
        `\`${name}\` is not running, so there is nothing to reload; \`tend start ${name}\` starts it`,
      );
    }
    const previous = program.spec;
    const plan = reloadPlan(request.spec ?? previous, request.pacing);
    this.#reloading.add(name);
    try {
      const changed = request.spec ? await this.#update(request.spec) : [];
      const reload = new RollingReload({
        pool: program.pool,
        bus: this.#options.bus,
        runtime: this.#options.runtime,
        plan,
        drainer: drainerOf(program),
        changed,
        prepareSurge: async (size) => {
          await this.#options.ports?.refuseTaken(program, { from: program.spec.instances, size });
          await this.#options.output.prepare(name, size);
        },
        restoreDefinition: async () => {
          if (this.#programs.get(name) === program) await this.#update(previous);
        },
      });
      const runtime = this.#options.runtime;
      const done = reload
        .run(runtime.now(), () => runtime.now())
        .finally(() => this.#reloading.delete(name));
      return { plan, changed, done };
    } catch (error) {
      this.#reloading.delete(name);
      throw error;
    }
  }

  async #update(spec: ProgramSpec): Promise<string[]> {
    const program = this.get(spec.name);
    const changed = changedSpecFields(program.spec, spec);
    if (changed.length === 0) {
      // Only where variables came from (`shellEnvNames`) differs: kept, and saved, with no process touched.
      if (!isDeepStrictEqual(program.spec, spec)) {
        await program.update(spec);
        this.#options.bus.emit({ kind: 'program.updated', program: spec.name, spec, changed });
      }
      return [];
    }
    if ((program.spec.proxy === undefined) !== (spec.proxy === undefined)) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_UPDATE_REFUSED',
        `Cannot ${spec.proxy ? 'add a proxy to' : 'remove the proxy of'} \`${spec.name}\` in place; delete it and add it again`,
      );
    }
    if ((program.spec.tasks === undefined) !== (spec.tasks === undefined)) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_UPDATE_REFUSED',
        `Cannot ${spec.tasks ? 'make' : 'stop making'} \`${spec.name}\` a task program in place; delete it and add it again`,
      );
    }
    const from = program.spec.instances;
    if (spec.instances > from) {
      await this.#options.ports?.refuseTaken(program, { from, size: spec.instances });
      await this.#options.output.prepare(spec.name, spec.instances);
    }
    const outcomes = await program.update(spec);
    this.#options.bus.emit({ kind: 'program.updated', program: spec.name, spec, changed });
    if (spec.instances !== from) {
      this.#options.bus.emit({
        kind: 'program.scaled',
        program: spec.name,
        from,
        to: spec.instances,
      });
    }
    this.#throwSpawnFailures(outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.message])));
    return changed;
  }

  /** Tells an instance why process `pid` cannot become ready (another process holds its port). */
  noteNotReady(name: string, instance: number, pid: number, problem: string): void {
    this.#programs.get(name)?.pool.instance(instance)?.noteNotReady(pid, problem);
  }

  /** Whether the program should run after a daemon restart (what it was when the daemon began to stop). */
  desiredAcrossRestart(program: ManagedProgram): DesiredState {
    return this.#desiredAtClose.get(program.name) ?? program.desired;
  }

  /** Stops every program for a daemon shutdown, keeping each one's desired state for the next start. */
  async close(): Promise<void> {
    this.#isClosing = true;
    this.#desiredAtClose = new Map(
      [...this.#programs].map(([name, program]) => [name, program.desired]),
    );
    await this.#stopInWaves([...this.#programs.values()], (program) => program.stop());
  }

  /** Starts a program now when its dependencies are ready (or it runs already), else makes it wait for them. */
  async #startOrWait(program: ManagedProgram): Promise<SpawnOutcome[]> {
    const wait = dependencyWaitOf(program, (name) => this.#programs.get(name));
    if (wait === null || program.hasProcess) return program.start();
    await program.waitFor(wait);
    return [];
  }

  /** Restarts a program when its dependencies are ready; else stops it, and it waits for them. */
  async #restartOrWait(program: ManagedProgram): Promise<SpawnOutcome[]> {
    const wait = dependencyWaitOf(program, (name) => this.#programs.get(name));
    if (wait === null) return program.restart();
    await program.stop();
    await program.waitFor(wait);
    return [];
  }

  /** Starts programs wave by wave (what they depend on first); resolves to the failures' messages. */
  async #startInWaves(programs: ManagedProgram[]): Promise<string[]> {
    const failures: string[] = [];
    for (const wave of this.#waves(programs.map((program) => program.name))) {
      const outcomes = await Promise.all(
        wave.map((program) => this.#changingDesired(program, () => this.#startOrWait(program))),
      );
      for (const outcome of outcomes.flat()) if (!outcome.ok) failures.push(outcome.message);
    }
    return failures;
  }

  /** Runs `stop` on programs wave by wave, dependents first; the programs of one wave in parallel. */
  async #stopInWaves(
    programs: ManagedProgram[],
    stop: (program: ManagedProgram) => Promise<unknown>,
  ): Promise<void> {
    const waves = this.#waves(programs.map((program) => program.name)).reverse();
    for (const wave of waves) await Promise.all(wave.map(stop));
  }

  /** The named managed programs in dependency waves (see dependencyWaves). */
  #waves(names: readonly string[]): ManagedProgram[][] {
    return dependencyWaves(names, this.#dependenciesOf).map((wave) =>
      wave.map((name) => this.get(name)),
    );
  }

  /** The programs and every managed program they depend on, directly or not. */
  #withDependencies(programs: ManagedProgram[]): ManagedProgram[] {
    const names = withDependencies(
      programs.map((program) => program.name),
      this.#dependenciesOf,
    ).sort();
    return this.#waves(names).flat();
  }

  readonly #dependenciesOf = (name: string): readonly string[] | undefined =>
    this.#programs.get(name)?.spec.dependsOn;

  /**
   * Looks at the waiting programs after an event that may change whether a dependency is ready:
   * once per burst, after the supervisor has told every fact of its change, so that a dependent's
   * events never come between a dependency's (`db` online, then `api` spawned).
   */
  #onEvent(event: TendEvent): void {
    if (!event.kind.startsWith('program.') && event.kind !== 'instance.state') return;
    if (this.#isCheckQueued) return;
    this.#isCheckQueued = true;
    queueMicrotask(() => {
      this.#isCheckQueued = false;
      this.#startReadyWaiters();
    });
  }

  /** Starts the waiting programs whose dependencies are ready, and updates the others' reasons. */
  #startReadyWaiters(): void {
    const waiting = [...this.#programs.values()].filter((program) => program.waiting !== null);
    if (waiting.length === 0 || this.#isClosing) return;
    for (const program of this.#waves(waiting.map((candidate) => candidate.name)).flat()) {
      if (program.waiting === null) continue;
      const wait = dependencyWaitOf(program, (name) => this.#programs.get(name));
      if (wait !== null) {
        void program.waitFor(wait);
        continue;
      }
      void program.start().then(
        (outcomes) => {
          for (const outcome of outcomes) {
            if (!outcome.ok) this.#options.onProblem(`${program.name}: ${outcome.message}`);
          }
        },
        (error: unknown) =>
          this.#options.onProblem(`${program.name}: could not start after its dependencies`, error),
      );
    }
  }

  #createProgram(
    spec: ProgramSpec,
    desired: DesiredState,
    persisted?: PersistedProgram,
  ): ManagedProgram {
    const stats: Array<InstanceStats | undefined> = [];
    for (const instance of persisted?.instances ?? []) stats[instance.index] = instance.stats;
    return new ManagedProgram({
      spec,
      desired,
      stats,
      runtime: this.#options.runtime,
      runDir: this.#options.runDir,
      bus: this.#options.bus,
      onProblem: this.#options.onProblem,
      ...(this.#options.onTaskMessage ? { onTaskMessage: this.#options.onTaskMessage } : {}),
    });
  }

  /** Runs an action and tells the bus when it changed whether the program should run. */
  async #changingDesired<T>(program: ManagedProgram, action: () => Promise<T>): Promise<T> {
    const before = program.desired;
    try {
      return await action();
    } finally {
      if (program.desired !== before) {
        this.#options.bus.emit({
          kind: 'program.desired',
          program: program.name,
          desired: program.desired,
        });
      }
    }
  }

  async #prepareOutput(spec: ProgramSpec): Promise<void> {
    // Asked for together, so that the output can make both programs' FIFOs at once.
    await Promise.all([
      this.#options.output.prepare(spec.name, spec.instances),
      spec.proxy ? this.#options.output.prepare(proxyProgramName(spec.name), 1) : undefined,
    ]);
  }

  async #removeOutput(spec: ProgramSpec): Promise<void> {
    await this.#options.output.remove(spec.name);
    if (spec.proxy) await this.#options.output.remove(proxyProgramName(spec.name));
  }

  #targets(target: Target): ManagedProgram[] {
    if (target === 'all') return this.list();
    return (typeof target === 'string' ? [target] : target).map((name) => this.get(name));
  }

  #selectInstances(program: ManagedProgram, index: number | undefined): InstanceSnapshot[] {
    const instances = program.pool.snapshot().instances;
    if (index === undefined) return instances;
    const instance = instances.find((candidate) => candidate.instance === index);
    if (!instance) {
      throw new NotFoundError(
        'TEND_ERR_INSTANCE_NOT_FOUND',
        `\`${program.spec.name}\` has instances 0 to ${instances.length - 1}, not ${index}`,
      );
    }
    return [instance];
  }

  #throwSpawnFailures(failures: string[]): void {
    if (failures.length > 0) throw new SpawnError([...new Set(failures)].join('; '), undefined);
  }

  #refuseWhileReloading(name: string, action: string): void {
    if (!this.#reloading.has(name)) return;
    throw new ConflictError(
      'TEND_ERR_RELOAD_IN_PROGRESS',
      `Cannot ${action} \`${name}\` now: a reload of it is running; try again once it ended (\`tend events ${name}\` shows its steps)`,
    );
  }

  #refuseWhileClosing(): void {
    if (this.#isClosing) {
      throw new TendError(
        'TEND_ERR_DAEMON_STOPPING',
        'The daemon is stopping and takes no new work',
      );
    }
  }
}

/** How a reload takes an instance of the program out of rotation: through its proxy, or not at all. */
function drainerOf(program: ManagedProgram): ReloadDrainer {
  const proxy = program.proxy;
  if (!proxy) return { drain: async () => {}, endDrain: () => {} };
  return {
    drain: (instance, timeoutMs) => proxy.drain(instance, timeoutMs),
    endDrain: (instance) => proxy.endDrain(instance),
  };
}

/** The processes of a persisted program that a previous daemon may have left running. */
function leftProcesses(persisted: PersistedProgram): LeftProcesses {
  const instances = new Map<number, AdoptedProcess & { startedAt: number }>();
  for (const instance of persisted.instances) {
    const { lastPid: pid, lastPidStartTime: startTime } = instance;
    if (pid === null || startTime === null || instance.index >= persisted.spec.instances) continue;
    instances.set(instance.index, {
      pid,
      startTime,
      startedAt: instance.lastPidStartedAt ?? Date.now(),
    });
  }
  const proxy = persisted.proxyProcess;
  return {
    instances,
    proxy:
      proxy?.startTime == null
        ? null
        : { pid: proxy.pid, startTime: proxy.startTime, startedAt: proxy.startedAt ?? Date.now() },
  };
}

function describeTarget(target: string, instance: number | undefined): string {
  return instance === undefined ? target : `${target}:${instance}`;
}
