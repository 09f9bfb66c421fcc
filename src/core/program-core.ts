import type { ProgramSpec } from '../config/program-spec.js';
import { ConflictError, NotFoundError, SpawnError, TendError } from '../errors.js';
import { proxyProgramName } from '../pool/proxy-name.js';
import type { SignalName } from '../process/signals.js';
import type { PersistedProgram } from '../store/persisted-state.js';
import type {
  AdoptedProcess,
  DesiredState,
  InstanceSnapshot,
  InstanceStats,
  SpawnOutcome,
  SupervisorRuntime,
} from '../supervisor/types.js';
import type { EventBus } from './event-bus.js';
import { type LeftProcesses, ManagedProgram, type ScaleRequest } from './managed-program.js';

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

/** A signal to send to the running instances of a target; the name is already checked. */
export interface SignalOrder {
  signal: SignalName;
  instance?: number | undefined;
  group?: boolean | undefined;
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
  /** What each program was meant to be when the daemon began to stop, so that the next start restores it. */
  #desiredAtClose = new Map<string, DesiredState>();

  constructor(options: ProgramCoreOptions) {
    this.#options = options;
  }

  /**
   * Brings back the programs of the state file, starting those meant to be running. With
   * `adopt`, the processes a previous daemon left running (after its crash, or at a hand-over)
   * are taken over first, and only the others are started; resolves to how many were taken
   * over and how many had ended meanwhile.
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
      if (persisted.desired === 'running') {
        if (options.adopt) {
          const taken = program.adopt(leftProcesses(persisted));
          recovery.adopted += taken.adopted;
          recovery.gone += taken.gone;
        }
        for (const outcome of await program.start()) {
          if (!outcome.ok) this.#options.onProblem(`${persisted.spec.name}: ${outcome.message}`);
        }
      }
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
    await this.#options.ports?.refuseTaken(spec);
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
      const failure = (await program.start()).find((outcome) => !outcome.ok);
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

  /** Starts the targeted programs that are not running (errored instances are reset). */
  async start(target: string): Promise<ManagedProgram[]> {
    this.#refuseWhileClosing();
    const programs = this.#targets(target);
    for (const program of programs) await this.#options.ports?.refuseTaken(program);
    const failures: string[] = [];
    for (const program of programs) {
      const outcomes = await this.#changingDesired(program, () => program.start());
      for (const outcome of outcomes) if (!outcome.ok) failures.push(outcome.message);
    }
    this.#throwSpawnFailures(failures);
    return programs;
  }

  /** Stops the targeted programs; resolves once every process has exited. */
  async stop(target: string): Promise<ManagedProgram[]> {
    const programs = this.#targets(target);
    await Promise.all(
      programs.map((program) => this.#changingDesired(program, () => program.stop())),
    );
    return programs;
  }

  /** Restarts the targeted programs (an errored one starts afresh). */
  async restart(target: string): Promise<ManagedProgram[]> {
    this.#refuseWhileClosing();
    const programs = this.#targets(target);
    for (const program of programs) await this.#options.ports?.refuseTaken(program);
    const outcomes = await Promise.all(
      programs.map((program) => this.#changingDesired(program, () => program.restart())),
    );
    this.#throwSpawnFailures(
      outcomes.flat().flatMap((outcome: SpawnOutcome) => (outcome.ok ? [] : [outcome.message])),
    );
    return programs;
  }

  /** Grows or shrinks a pool within its bounds; a request past a bound changes nothing. */
  async scale(name: string, request: ScaleRequest): Promise<ManagedProgram> {
    this.#refuseWhileClosing();
    const program = this.get(name);
    const size = program.targetSize(request);
    await this.#options.ports?.refuseTaken(program, { from: program.spec.instances, size });
    await this.#options.output.prepare(name, size);
    const outcomes = await program.scale(size);
    this.#throwSpawnFailures(outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.message])));
    return program;
  }

  /** Stops and forgets the targeted programs; resolves to their names. */
  async remove(target: string): Promise<string[]> {
    const programs = this.#targets(target);
    await Promise.all(programs.map((program) => program.stop()));
    for (const program of programs) {
      this.#programs.delete(program.spec.name);
      await this.#removeOutput(program.spec);
      this.#options.bus.emit({ kind: 'program.removed', program: program.spec.name });
    }
    return programs.map((program) => program.spec.name);
  }

  /** Sends a signal to the main process (or group) of the targeted running instances. */
  signal(target: string, order: SignalOrder): SignalDelivery[] {
    const { signal } = order;
    const delivered: SignalDelivery[] = [];
    for (const program of this.#targets(target)) {
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
        `No running process of \`${describeTarget(target, order.instance)}\` to send ${signal} to; start it first`,
      );
    }
    return delivered;
  }

  /** Tells an instance that process `pid` passed its readiness check; a stale answer is ignored. */
  markReady(name: string, instance: number, pid: number): void {
    this.#programs.get(name)?.pool.instance(instance)?.markReady(pid);
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
    await Promise.all([...this.#programs.values()].map((program) => program.stop()));
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
    await this.#options.output.prepare(spec.name, spec.instances);
    if (spec.proxy) await this.#options.output.prepare(proxyProgramName(spec.name), 1);
  }

  async #removeOutput(spec: ProgramSpec): Promise<void> {
    await this.#options.output.remove(spec.name);
    if (spec.proxy) await this.#options.output.remove(proxyProgramName(spec.name));
  }

  #targets(target: string): ManagedProgram[] {
    return target === 'all' ? [...this.#programs.values()] : [this.get(target)];
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

  #refuseWhileClosing(): void {
    if (this.#isClosing) {
      throw new TendError(
        'TEND_ERR_DAEMON_STOPPING',
        'The daemon is stopping and takes no new work',
      );
    }
  }
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
