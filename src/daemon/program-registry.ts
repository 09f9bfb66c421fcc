import { parseInput } from '../api/parse-input.js';
import {
  type LiveFigures,
  toInstanceDetail,
  toProgramDetail,
  toProxyDetail,
} from '../api/views.js';
import type {
  DeleteReply,
  DesiredState,
  ProgramDetail,
  SignalReply,
  SignalRequest,
} from '../api/wire.js';
import { type ProgramSpec, ProgramSpecSchema } from '../config/program-spec.js';
import { ConflictError, NotFoundError, SpawnError, TendError, UsageError } from '../errors.js';
import { refuseTakenPorts } from '../health/port-check.js';
import { ReadinessWatcher } from '../health/readiness-watcher.js';
import { proxyProgramName } from '../pool/proxy-name.js';
import { parseSignal } from '../process/signals.js';
import type { PersistedProgram } from '../store/persisted-state.js';
import type {
  InstanceSnapshot,
  InstanceStats,
  SpawnOutcome,
  SupervisorRuntime,
} from '../supervisor/types.js';
import { ManagedProgram, type ScaleRequest } from './managed-program.js';

/** What the registry needs from the output capture. */
export interface OutputPort {
  prepare(name: string, instances: number): Promise<void>;
  remove(name: string): void | Promise<void>;
}

/** What the registry needs from the metrics sampler. */
export interface LiveFiguresPort {
  sample(pid: number): LiveFigures | undefined;
}

/** What the registry needs from the durable store. */
export interface PersistPort {
  save(programs: PersistedProgram[], options: { allowEmpty: boolean }): Promise<void>;
}

/** Identity of a running process, to tell it from a later process that reuses its pid. */
export interface ProcessIdentityPort {
  startTime(pid: number): number | undefined;
}

/** Dependencies of the registry, all behind small ports so that it can be tested without I/O. */
export interface ProgramRegistryOptions {
  runtime: SupervisorRuntime;
  output: OutputPort;
  live: LiveFiguresPort;
  store: PersistPort;
  identity: ProcessIdentityPort;
  /** Where proxies put their control sockets. */
  runDir: string;
  onProblem: (message: string, detail?: unknown) => void;
}

/**
 * The daemon's set of programs: the one place that creates, finds, starts, stops and forgets
 * them, and persists every change. The API routes are thin wrappers around it.
 */
export class ProgramRegistry {
  readonly #options: ProgramRegistryOptions;
  readonly #programs = new Map<string, ManagedProgram>();
  readonly #readiness = new ReadinessWatcher();
  /** Names being added right now, so two concurrent adds of one name cannot both win. */
  readonly #reserved = new Set<string>();
  /** Start times of the pids we spawned, to clean them up after a daemon crash. */
  readonly #startTimes = new Map<number, number>();
  #isClosing = false;
  /** What each program was meant to be when the daemon began to stop, so that the next start restores it. */
  #desiredAtClose = new Map<string, DesiredState>();

  constructor(options: ProgramRegistryOptions) {
    this.#options = options;
  }

  /** Brings back the programs of the state file, starting those meant to be running. */
  async restore(programs: PersistedProgram[]): Promise<void> {
    for (const persisted of programs) {
      this.#endLeftovers(persisted);
      await this.#prepareOutput(persisted.spec);
      const program = this.#createProgram(persisted.spec, persisted.desired, persisted);
      this.#programs.set(persisted.spec.name, program);
      if (persisted.desired === 'running') {
        for (const outcome of await program.start()) {
          if (!outcome.ok) this.#options.onProblem(`${persisted.spec.name}: ${outcome.message}`);
        }
      }
    }
    this.#persist();
  }

  /** Every program, sorted by name. */
  list(): Promise<ProgramDetail[]> {
    return this.#views([...this.#programs.keys()].sort().map((name) => this.#get(name)));
  }

  /** One program; throws TEND_ERR_PROGRAM_NOT_FOUND. */
  detail(name: string): Promise<ProgramDetail> {
    return this.#view(this.#get(name));
  }

  /** Whether a program of that name is managed. */
  has(name: string): boolean {
    return this.#programs.has(name);
  }

  /** Adds and starts a program; a first spawn that fails is reported and nothing is kept. */
  async add(input: unknown): Promise<ProgramDetail> {
    this.#refuseWhileClosing();
    const spec = parseInput(ProgramSpecSchema, input, 'program definition');
    if (this.#programs.has(spec.name) || this.#reserved.has(spec.name)) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_EXISTS',
        `A program named \`${spec.name}\` is already managed; choose another --name or \`tend delete ${spec.name}\` first`,
      );
    }
    this.#reserved.add(spec.name);
    try {
      await refuseTakenPorts(spec);
      await this.#prepareOutput(spec);
      const program = this.#createProgram(spec, 'running');
      const failure = (await program.start()).find((outcome) => !outcome.ok);
      if (failure && !failure.ok) {
        await program.stop();
        await this.#removeOutput(spec);
        throw new SpawnError(failure.message, failure.errno);
      }
      this.#programs.set(spec.name, program);
      this.#persist();
      return this.#view(program);
    } finally {
      this.#reserved.delete(spec.name);
    }
  }

  /** Starts the targeted programs that are not running (errored instances are reset). */
  async start(target: string): Promise<ProgramDetail[]> {
    this.#refuseWhileClosing();
    const programs = this.#targets(target);
    for (const program of programs) await refuseTakenPorts(program);
    const failures: string[] = [];
    for (const program of programs) {
      for (const outcome of await program.start()) if (!outcome.ok) failures.push(outcome.message);
    }
    this.#persist();
    this.#throwSpawnFailures(failures);
    return this.#views(programs);
  }

  /** Stops the targeted programs; resolves once every process has exited. */
  async stop(target: string): Promise<ProgramDetail[]> {
    const programs = this.#targets(target);
    await Promise.all(programs.map((program) => program.stop()));
    this.#persist();
    return this.#views(programs);
  }

  /** Restarts the targeted programs (an errored one starts afresh). */
  async restart(target: string): Promise<ProgramDetail[]> {
    this.#refuseWhileClosing();
    const programs = this.#targets(target);
    for (const program of programs) await refuseTakenPorts(program);
    const outcomes = await Promise.all(programs.map((program) => program.restart()));
    this.#persist();
    this.#throwSpawnFailures(
      outcomes.flat().flatMap((outcome: SpawnOutcome) => (outcome.ok ? [] : [outcome.message])),
    );
    return this.#views(programs);
  }

  /** Grows or shrinks a pool within its bounds; a request past a bound changes nothing. */
  async scale(name: string, request: ScaleRequest): Promise<ProgramDetail> {
    this.#refuseWhileClosing();
    const program = this.#get(name);
    const size = program.targetSize(request);
    await refuseTakenPorts(program, { from: program.spec.instances, size });
    await this.#options.output.prepare(name, size);
    const outcomes = await program.scale(size);
    this.#persist();
    this.#throwSpawnFailures(outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.message])));
    return this.#view(program);
  }

  /** Stops and forgets the targeted programs. */
  async remove(target: string): Promise<DeleteReply> {
    const programs = this.#targets(target);
    await Promise.all(programs.map((program) => program.stop()));
    for (const program of programs) {
      this.#programs.delete(program.spec.name);
      this.#readiness.cancel(program.spec.name);
      await this.#removeOutput(program.spec);
    }
    this.#persist(true);
    return { deleted: programs.map((program) => program.spec.name) };
  }

  /** Sends a signal to the main process (or group) of the targeted running instances. */
  signal(target: string, request: SignalRequest): SignalReply {
    const signal = parseSignal(request.signal);
    if (!signal) {
      throw new UsageError(
        'TEND_ERR_SIGNAL_UNKNOWN',
        `Expected a signal name such as SIGHUP or a number such as 1, got ${JSON.stringify(request.signal)}`,
      );
    }
    const delivered: SignalReply['delivered'] = [];
    for (const program of this.#targets(target)) {
      for (const instance of this.#selectInstances(program, request.instance)) {
        if (instance.pid === null) continue;
        this.#options.runtime.signal(instance.pid, signal, request.group ? 'group' : 'process');
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
        `No running process of \`${describeTarget(target, request.instance)}\` to send ${signal} to; start it first`,
      );
    }
    return { delivered };
  }

  /** Stops every program for a daemon shutdown, keeping each one's desired state for the next start. */
  async close(): Promise<void> {
    this.#isClosing = true;
    this.#desiredAtClose = new Map(
      [...this.#programs].map(([name, program]) => [name, program.desired]),
    );
    this.#readiness.cancel();
    await Promise.all([...this.#programs.values()].map((program) => program.stop()));
  }

  /** The programs in the form the state file keeps. */
  persisted(): PersistedProgram[] {
    return [...this.#programs.values()].map((program) => {
      const snapshot = program.pool.snapshot();
      const proxy = program.proxySnapshot();
      return {
        spec: program.spec,
        desired: this.#desiredAtClose.get(program.name) ?? program.desired,
        instances: snapshot.instances.map((instance) => ({
          index: instance.instance,
          stats: instance.stats,
          lastPid: instance.pid,
          lastPidStartTime:
            instance.pid === null ? null : (this.#startTimes.get(instance.pid) ?? null),
        })),
        proxyProcess:
          proxy?.pid == null
            ? null
            : { pid: proxy.pid, startTime: this.#startTimes.get(proxy.pid) ?? null },
      };
    });
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
      onChange: (program, snapshot, isProxy) => this.#onInstanceChange(program, snapshot, isProxy),
      onProblem: this.#options.onProblem,
    });
  }

  #onInstanceChange(program: ManagedProgram, snapshot: InstanceSnapshot, isProxy: boolean): void {
    if (snapshot.pid !== null && !this.#startTimes.has(snapshot.pid)) {
      const startTime = this.#options.identity.startTime(snapshot.pid);
      if (startTime !== undefined) this.#startTimes.set(snapshot.pid, startTime);
    }
    if (!isProxy) {
      const instance = () => program.pool.instance(snapshot.instance);
      this.#readiness.update(program.spec, snapshot, {
        onReady: (pid) => instance()?.markReady(pid),
        onBlocked: (pid, problem) => instance()?.noteNotReady(pid, problem),
      });
    }
    if (snapshot.pid === null) this.#forgetExitedPids();
    this.#persist();
  }

  #forgetExitedPids(): void {
    const live = new Set<number>();
    for (const program of this.#programs.values()) {
      for (const instance of program.pool.snapshot().instances)
        if (instance.pid !== null) live.add(instance.pid);
      const proxyPid = program.proxySnapshot()?.pid;
      if (proxyPid != null) live.add(proxyPid);
    }
    for (const pid of this.#startTimes.keys()) if (!live.has(pid)) this.#startTimes.delete(pid);
  }

  async #prepareOutput(spec: ProgramSpec): Promise<void> {
    await this.#options.output.prepare(spec.name, spec.instances);
    if (spec.proxy) await this.#options.output.prepare(proxyProgramName(spec.name), 1);
  }

  async #removeOutput(spec: ProgramSpec): Promise<void> {
    await this.#options.output.remove(spec.name);
    if (spec.proxy) await this.#options.output.remove(proxyProgramName(spec.name));
  }

  /** A daemon that was killed leaves its instances running: end them (by pid, verified by start time) before starting anew. */
  #endLeftovers(persisted: PersistedProgram): void {
    const leftovers = persisted.instances.map((instance) => ({
      what: `${persisted.spec.name}[${instance.index}]`,
      pid: instance.lastPid,
      startTime: instance.lastPidStartTime,
    }));
    if (persisted.proxyProcess) {
      leftovers.push({
        what: proxyProgramName(persisted.spec.name),
        pid: persisted.proxyProcess.pid,
        startTime: persisted.proxyProcess.startTime,
      });
    }
    for (const { what, pid, startTime } of leftovers) {
      if (pid === null || startTime === null) continue;
      if (this.#options.identity.startTime(pid) !== startTime) continue;
      this.#options.onProblem(
        `${what}: pid ${pid} outlived the previous daemon; ending its process group`,
      );
      this.#options.runtime.signal(pid, 'SIGKILL', 'group');
    }
  }

  /** Saves in the background; only a delete may leave the state file with no program. */
  #persist(allowEmpty = false): void {
    this.#options.store
      .save(this.persisted(), { allowEmpty })
      .catch((error: unknown) => this.#options.onProblem('could not save the state file', error));
  }

  #views(programs: ManagedProgram[]): Promise<ProgramDetail[]> {
    return Promise.all(programs.map((program) => this.#view(program)));
  }

  async #view(program: ManagedProgram): Promise<ProgramDetail> {
    const proxy = await program.proxyView();
    const now = Date.now();
    const snapshot = program.pool.snapshot();
    return toProgramDetail(
      program.spec,
      program.desired,
      snapshot.instances.map((instance) =>
        toInstanceDetail(
          instance,
          program.spec,
          instance.pid === null ? undefined : this.#options.live.sample(instance.pid),
          now,
        ),
      ),
      proxy && toProxyDetail(proxy),
    );
  }

  #get(name: string): ManagedProgram {
    const program = this.#programs.get(name);
    if (!program) {
      throw new NotFoundError(
        'TEND_ERR_PROGRAM_NOT_FOUND',
        `No program named \`${name}\`; \`tend ls\` lists the managed programs`,
      );
    }
    return program;
  }

  #targets(target: string): ManagedProgram[] {
    return target === 'all' ? [...this.#programs.values()] : [this.#get(target)];
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

function describeTarget(target: string, instance: number | undefined): string {
  return instance === undefined ? target : `${target}:${instance}`;
}
