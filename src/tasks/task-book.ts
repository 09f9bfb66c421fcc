import type { TaskSettings } from '../config/task-settings.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import type { TimerHandle } from '../process/runtime.js';
import { Allocator } from './allocator.js';
import { LeaseBook, type LeaseClock } from './lease-book.js';
import { instancesToRemove, instancesToStart } from './ready-buffer.js';
import { newTaskId, taskIdProblem, wantedTaskIdProblem } from './task-id.js';

/** One allocated task: an instance's process reserved for one owner. */
export interface Task {
  id: string;
  instance: number;
  /** The process the task runs in: a task never moves to another process. */
  pid: number;
  /** Who allocated it (a client's name, or null); the proxy tells when the owner leaves. */
  owner: string | null;
  /** Epoch ms of the allocation. */
  createdAt: number;
  /** Connections to the task through the proxy now. */
  connections: number;
  isOwnerConnected: boolean;
}

/** Why a task ended, for events and history. */
export type TaskEnd =
  /** Its owner's last connection closed (`endWhen: owner-leaves`, or after `grace`). */
  | 'owner-left'
  /** `tend close`, or the API's DELETE. */
  | 'closed'
  /** Its process exited. */
  | 'exited'
  /** Its process said SHUTDOWN=1 or STOPPING=1. */
  | 'shutdown'
  /** Its process said TASK_STATE=free. */
  | 'freed'
  /** The program was deleted. */
  | 'removed';

/** What an instance's history says of the stop that ended its task: `task ended (room-42, owner-left)`. */
export function taskEndReason(id: string, end: TaskEnd): string {
  return `task ended (${id}, ${end})`;
}

/** What a task program's process may say about its task on its notify channel. */
export type TaskSaying = 'free' | 'allocated' | 'shutdown';

/** One instance of the fleet as the task book needs it. */
export interface FleetMember {
  instance: number;
  port: number | null;
  /** The current process, or null (starting slot, stopped, or asked for and not there yet). */
  pid: number | null;
  /** Ready to take a client: online and passing its readiness checks. */
  isReady: boolean;
}

/** The fleet a TaskBook hands instances out of: the daemon's pool of a task program. */
export interface TaskFleet {
  readonly name: string;
  /** The most and the fewest instances the fleet may have. */
  readonly max: number;
  readonly min: number;
  /** The program's task settings, read at each use (they may change). */
  settings(): TaskSettings;
  /** Whether the program is meant to run: a stopped one is neither refilled nor trimmed. */
  isRunning(): boolean;
  /** The instances by index, those asked for (`grow`) and not there yet included. */
  members(): FleetMember[];
  /** Whether an instance is handed out otherwise (a dispatcher lease): not for a task then. */
  isTakenElsewhere(instance: number): boolean;
  /** Adds one instance at the top. */
  grow(): void;
  /** Removes `count` instances from the top (they are idle). */
  shrink(count: number): void;
  /**
   * Stops process `pid` of an ended task (stop signal, timeout, SIGKILL); its slot gets a fresh
   * one. Not a restart: `reason` (taskEndReason) is what the instance's history says.
   */
  retire(instance: number, pid: number, reason: string): void;
}

/** Who hears of allocations, changes of a task's connections, and ends. */
export interface TaskListener {
  allocated(task: Task): void;
  /** Its connection count or its owner's presence changed (told before an end the change brings). */
  connectionsChanged(task: Task): void;
  ended(task: Task, end: TaskEnd): void;
}

/** What a client asks for. */
export interface TaskRequest {
  /** The id the client wants (checked, refused when a live task has it), or null for a fresh one. */
  id: string | null;
  owner: string | null;
  /** How long to wait for a ready idle instance before the refusal. */
  timeoutMs: number;
  /** The owner asked through the proxy and is to connect there (the proxy tells if it does not). */
  isOwnerAwaited?: boolean;
}

/** A task as a previous daemon saved it, to take over with its process. */
export interface SavedTask {
  id: string;
  instance: number;
  pid: number;
  owner: string | null;
  createdAt: number;
  /**
   * Whether its owner was connected, or had left within its grace, when it was saved: the next
   * daemon takes the owner as connected until the proxy says otherwise (the proxy tells every
   * task's connections to each daemon that connects), so that an owner who left meanwhile ends it.
   */
  isOwnerConnected: boolean;
}

interface LiveTask {
  task: Task;
  leaseId: string;
  grace: TimerHandle | null;
  /** Its owner is to connect through the proxy (it asked there) and has not yet. */
  isOwnerAwaited: boolean;
  /** Set while an awaited owner has `connectWaitMs` to connect through the next proxy. */
  ownerWait: TimerHandle | null;
}

/**
 * The tasks of one task program: allocation on a ready idle instance (through the Allocator, so
 * no instance twice, waiting up to `max` then refused naming the pool), ids (the client's, or
 * fresh), and the ending rules (owner leaves per `endWhen`, exit, close, the process's word). A
 * process that ran a task is never handed out again: its pid is remembered, and the fleet is
 * told to retire it. After each change the fleet is refilled to `readyBuffer` idle instances
 * (never past `max`) or trimmed from the top back towards it.
 */
export class TaskBook {
  readonly #fleet: TaskFleet;
  readonly #clock: LeaseClock;
  readonly #listener: TaskListener;
  readonly #leases: LeaseBook;
  readonly #allocator: Allocator;
  readonly #byId = new Map<string, LiveTask>();
  readonly #byInstance = new Map<number, LiveTask>();
  /** Ids asked for by requests still waiting, so that a second request for one is refused at once. */
  readonly #pendingIds = new Set<string>();
  /** Processes that ran a task: never ready for another. */
  readonly #usedPids = new Set<number>();

  constructor(fleet: TaskFleet, clock: LeaseClock, listener: TaskListener) {
    this.#fleet = fleet;
    this.#clock = clock;
    this.#listener = listener;
    this.#leases = new LeaseBook(clock);
    this.#allocator = new Allocator(
      {
        name: fleet.name,
        get max() {
          return fleet.max;
        },
        members: () =>
          fleet.members().map((member) => ({
            instance: member.instance,
            port: member.port,
            isReady: this.#isAllocatable(member),
          })),
        grow: () => fleet.grow(),
      },
      this.#leases,
      clock,
    );
  }

  /** Requests waiting for an instance. */
  get waiting(): number {
    return this.#allocator.waiting;
  }

  /** The live tasks, by instance. */
  list(): Task[] {
    return [...this.#byInstance.values()]
      .map((live) => ({ ...live.task }))
      .sort((a, b) => a.instance - b.instance);
  }

  /** One live task, or a NotFound. */
  get(id: string): Task {
    return { ...this.#require(id).task };
  }

  /** The live task on `instance`, if any. */
  onInstance(instance: number): Task | undefined {
    const live = this.#byInstance.get(instance);
    return live && { ...live.task };
  }

  /** Allocates a task on a ready idle instance, waiting (and growing the fleet) when none is. */
  async allocate(request: TaskRequest): Promise<Task> {
    const wanted = request.id;
    if (wanted !== null) {
      const problem = wantedTaskIdProblem(wanted);
      if (problem) throw new UsageError('TEND_ERR_TASK_ID_INVALID', problem);
      if (this.#byId.has(wanted) || this.#pendingIds.has(wanted)) {
        throw new ConflictError(
          'TEND_ERR_TASK_ID_TAKEN',
          `\`${this.#fleet.name}\` already has a task \`${wanted}\`; choose another id, or join that task`,
        );
      }
      this.#pendingIds.add(wanted);
    }
    try {
      const allocation = await this.#allocator.allocate({
        holder: request.owner,
        ttlMs: null,
        timeoutMs: request.timeoutMs,
      });
      const { instance } = allocation.lease;
      const pid = this.#fleet.members().find((member) => member.instance === instance)?.pid;
      if (pid == null) {
        // Cannot happen: the allocator only grants ready members, which have a process.
        this.#leases.endForInstance(instance, 'removed');
        throw new ConflictError(
          'TEND_ERR_LEASE_CONFLICT',
          `Instance ${instance} of \`${this.#fleet.name}\` was granted without a process; this is a bug in tend`,
        );
      }
      const task = this.#add(
        {
          id: wanted ?? this.#freshId(),
          instance,
          pid,
          owner: request.owner,
          createdAt: this.#clock.now(),
          leaseId: allocation.lease.id,
        },
        { isOwnerAwaited: request.isOwnerAwaited === true },
      );
      this.#settle();
      return task;
    } finally {
      if (wanted !== null) this.#pendingIds.delete(wanted);
    }
  }

  /** Ends a task on request (`tend close`); an unknown or ended id is a NotFound. */
  close(id: string): Task {
    const live = this.#require(id);
    this.#end(live, 'closed');
    return { ...live.task };
  }

  /** What the proxy says of a task's connections; the owner leaving may end it (per `endWhen`). */
  setConnections(
    id: string,
    count: number,
    isOwnerConnected: boolean,
    hasOwnerGivenUp = false,
  ): void {
    const live = this.#byId.get(id);
    if (!live) return;
    const wasOwnerConnected = live.task.isOwnerConnected;
    if (count !== live.task.connections || isOwnerConnected !== wasOwnerConnected) {
      live.task.connections = count;
      live.task.isOwnerConnected = isOwnerConnected;
      this.#listener.connectionsChanged({ ...live.task });
    }
    if (isOwnerConnected || hasOwnerGivenUp) {
      live.isOwnerAwaited = false;
      live.ownerWait?.cancel();
      live.ownerWait = null;
    }
    if (isOwnerConnected) {
      live.grace?.cancel();
      live.grace = null;
      return;
    }
    // An owner that never connected has not left, unless the proxy says it will not come.
    if (!wasOwnerConnected && !(hasOwnerGivenUp && live.grace === null)) return;
    const settings = this.#fleet.settings();
    if (settings.endWhen === 'owner-leaves') this.#end(live, 'owner-left');
    else if (settings.endWhen === 'grace') {
      live.grace = this.#clock.setTimer(settings.graceMs, () => {
        if (this.#byId.get(id) === live) this.#end(live, 'owner-left');
      });
    }
  }

  /**
   * Every connection through the proxy is gone (its process exited): each task has none now, through
   * setConnections, so an owner who was connected has left (per `endWhen`: the task ends, or its
   * grace starts). An owner that never connected has not left, but one that asked through the
   * proxy and had not connected yet (its answer may have been lost with the proxy) has
   * `connectWaitMs` to connect through the next one, as the proxy would have given it; then it has
   * given up.
   */
  connectionsLost(): void {
    for (const live of [...this.#byId.values()]) {
      this.setConnections(live.task.id, 0, false);
      if (!live.isOwnerAwaited || this.#byId.get(live.task.id) !== live) continue;
      live.ownerWait?.cancel();
      live.ownerWait = this.#clock.setTimer(this.#fleet.settings().connectWaitMs, () => {
        live.ownerWait = null;
        if (live.isOwnerAwaited)
          this.setConnections(live.task.id, live.task.connections, false, true);
      });
    }
  }

  /** The live tasks as the state file keeps them. */
  saved(): SavedTask[] {
    return [...this.#byInstance.values()]
      .map(({ task, grace }) => ({
        id: task.id,
        instance: task.instance,
        pid: task.pid,
        owner: task.owner,
        createdAt: task.createdAt,
        isOwnerConnected: task.isOwnerConnected || grace !== null,
      }))
      .sort((a, b) => a.instance - b.instance);
  }

  /** Process `pid` of `instance` exited: its task, if any, ended with it. */
  processExited(instance: number, pid: number): void {
    const live = this.#byInstance.get(instance);
    if (live && live.task.pid === pid) this.#end(live, 'exited');
    else this.#settle();
  }

  /**
   * What process `pid` of `instance` said on its notify channel: `shutdown` and `free` end its
   * task; `allocated` makes it a task by itself (Agones' SDK.Allocate) when it is idle.
   * A stale pid is ignored.
   */
  processSaid(instance: number, pid: number, saying: TaskSaying): Task | null {
    const live = this.#byInstance.get(instance);
    if (saying !== 'allocated') {
      if (!live || live.task.pid !== pid) return null;
      this.#end(live, saying === 'free' ? 'freed' : 'shutdown');
      return { ...live.task };
    }
    if (live) return null;
    const member = this.#fleet.members().find((candidate) => candidate.instance === instance);
    if (member?.pid !== pid || this.#usedPids.has(pid) || this.#fleet.isTakenElsewhere(instance))
      return null;
    const lease = this.#leases.grant(instance, { ttlMs: null, holder: null });
    const task = this.#add({
      id: this.#freshId(),
      instance,
      pid,
      owner: null,
      createdAt: this.#clock.now(),
      leaseId: lease.id,
    });
    this.#settle();
    return task;
  }

  /** Takes over a task a previous daemon saved, when its instance still runs that process. */
  restore(saved: SavedTask): boolean {
    const member = this.#fleet.members().find((candidate) => candidate.instance === saved.instance);
    if (
      member?.pid !== saved.pid ||
      this.#byInstance.has(saved.instance) ||
      this.#byId.has(saved.id) ||
      this.#leases.isLeased(saved.instance)
    )
      return false;
    const lease = this.#leases.grant(saved.instance, { ttlMs: null, holder: saved.owner });
    const { isOwnerConnected, ...fields } = saved;
    this.#add({ ...fields, leaseId: lease.id }, { isSilent: true, isOwnerConnected });
    return true;
  }

  /** Call after any change of the fleet: serves waiting requests, refills or trims the buffer. */
  poolChanged(): void {
    this.#settle();
  }

  /** The program is deleted: every task ends (`removed`), every waiting request is refused. */
  removeAll(reason: string): void {
    this.#allocator.cancelAll(reason);
    for (const live of [...this.#byId.values()]) this.#end(live, 'removed');
  }

  /** Refuses every waiting request (the daemon is stopping). */
  cancelAll(reason: string): void {
    this.#allocator.cancelAll(reason);
  }

  #isAllocatable(member: FleetMember): boolean {
    return (
      member.isReady &&
      member.pid !== null &&
      !this.#usedPids.has(member.pid) &&
      !this.#fleet.isTakenElsewhere(member.instance)
    );
  }

  #add(
    fields: Omit<Task, 'connections' | 'isOwnerConnected'> & { leaseId: string },
    options: { isSilent?: boolean; isOwnerConnected?: boolean; isOwnerAwaited?: boolean } = {},
  ): Task {
    const { leaseId, ...rest } = fields;
    const live: LiveTask = {
      task: { ...rest, connections: 0, isOwnerConnected: options.isOwnerConnected ?? false },
      leaseId,
      grace: null,
      isOwnerAwaited: options.isOwnerAwaited ?? false,
      ownerWait: null,
    };
    this.#byId.set(live.task.id, live);
    this.#byInstance.set(live.task.instance, live);
    this.#usedPids.add(live.task.pid);
    if (!options.isSilent) this.#listener.allocated({ ...live.task });
    return { ...live.task };
  }

  #end(live: LiveTask, end: TaskEnd): void {
    if (this.#byId.get(live.task.id) !== live) return;
    live.grace?.cancel();
    live.grace = null;
    live.ownerWait?.cancel();
    live.ownerWait = null;
    this.#byId.delete(live.task.id);
    this.#byInstance.delete(live.task.instance);
    this.#leases.endForInstance(live.task.instance, 'removed');
    this.#listener.ended({ ...live.task }, end);
    if (end !== 'exited' && end !== 'removed')
      this.#fleet.retire(live.task.instance, live.task.pid, taskEndReason(live.task.id, end));
    if (end !== 'removed') this.#settle();
  }

  /** Serves waiters, then keeps `readyBuffer` idle instances: grows below it, trims the top above it. */
  #settle(): void {
    this.#allocator.poolChanged();
    if (!this.#fleet.isRunning() || this.#allocator.waiting > 0) return;
    const members = this.#fleet.members();
    // Leased counts too: a grant is recorded as a task a microtask later.
    const isAllocated = members.map(
      (member) =>
        this.#leases.isLeased(member.instance) || this.#fleet.isTakenElsewhere(member.instance),
    );
    const { readyBuffer } = this.#fleet.settings();
    const allocated = isAllocated.filter(Boolean).length;
    const toStart = instancesToStart({
      total: members.length,
      allocated,
      max: this.#fleet.max,
      readyBuffer,
    });
    for (let i = 0; i < toStart; i++) this.#fleet.grow();
    if (toStart > 0) return;
    const toRemove = instancesToRemove({ isAllocated, min: this.#fleet.min, readyBuffer });
    if (toRemove > 0) this.#fleet.shrink(toRemove);
  }

  #freshId(): string {
    for (;;) {
      const id = newTaskId();
      if (!this.#byId.has(id) && !this.#pendingIds.has(id)) return id;
    }
  }

  #require(id: string): LiveTask {
    const problem = taskIdProblem(id);
    if (problem) throw new UsageError('TEND_ERR_TASK_ID_INVALID', problem);
    const live = this.#byId.get(id);
    if (!live) {
      throw new NotFoundError(
        'TEND_ERR_TASK_NOT_FOUND',
        `\`${this.#fleet.name}\` has no live task \`${id}\`: it was never allocated, or it ended (\`tend tasks ${this.#fleet.name}\` lists the live ones)`,
      );
    }
    return live;
  }
}
