import type { LeaseService } from '../api/routes/lease-routes.js';
import type { TaskRoutesService } from '../api/routes/task-routes.js';
import type { TaskReply } from '../api/wire.js';
import { instancePort } from '../config/instance-port.js';
import type { EventBus } from '../core/event-bus.js';
import type { ManagedProgram } from '../core/managed-program.js';
import type { ProgramCore } from '../core/program-core.js';
import { ConflictError, ERROR_TABLE, TendError } from '../errors.js';
import type { NotifyDigest } from '../notify/notify-parser.js';
import type { ProxyTask, ProxyTaskMessage } from '../pool/pool-proxy.js';
import type { DaemonMessageInput } from '../proxy/control-protocol.js';
import { isInstanceReady } from '../supervisor/readiness.js';
import type { LeaseClock } from '../tasks/lease-book.js';
import {
  type FleetMember,
  type SavedTask,
  type Task,
  TaskBook,
  type TaskFleet,
} from '../tasks/task-book.js';
import { removeTaskFifos, taskLine, tellTask } from '../tasks/task-channel.js';

/** Where tasks listen: tend's instances listen on 127.0.0.1. */
const INSTANCE_HOST = '127.0.0.1';

/** The daemon's tasks, for the routes, the proxy, the notify channel, the views and the state file. */
export interface TaskService extends TaskRoutesService {
  /** The live tasks of a program, or [] for a program that is not a task program. */
  tasksOf(name: string): TaskReply[];
  /** Whether `instance` of `name` runs a task (so the dispatcher does not lease it). */
  isReserved(name: string, instance: number): boolean;
  /** The tasks to save in the state file, by program. */
  saved(name: string): SavedTask[];
  /** Takes over the tasks a previous daemon saved, once their instances were adopted. */
  restore(saved: ReadonlyMap<string, readonly SavedTask[]>): void;
  /** What an instance said on its notify channel (TASK_STATE, SHUTDOWN, STOPPING). */
  onNotify(name: string, instance: number, digest: NotifyDigest): void;
  /** What a task program's proxy asks or tells. */
  onProxyMessage(
    name: string,
    message: ProxyTaskMessage,
    reply: (answer: DaemonMessageInput) => void,
  ): void;
  /** The daemon is stopping: waiting requests are refused. */
  shutdown(): void;
}

interface Fleet {
  book: TaskBook;
  /** The size asked for while a resize is under way, else null (the program's own size). */
  wanted: number | null;
  /** Resizes run one after the other, each to the latest wanted size. */
  resizing: Promise<void>;
}

/** What the task service needs besides the bus and the core. */
export interface TaskServiceOptions {
  bus: EventBus;
  core: ProgramCore;
  clock: LeaseClock;
  leases: LeaseService;
  /** The daemon's home: where the task FIFOs are. */
  home: string;
  onProblem: (message: string, detail?: unknown) => void;
}

/**
 * Wires the task programs' TaskBooks to the daemon: one per program with `tasks`, created when the
 * program is added; its fleet is the program's pool (grown and shrunk by scaling, one resize at a
 * time); an ended task's process is replaced (stop signal, timeout, SIGKILL, then a fresh
 * process; not counted as a restart). Allocations, connection changes and ends go on the bus (`task.allocated`, `task.connections`, `task.ended`), to the pool's
 * proxy (the task table; allocated instances leave the rotation) and, for an allocation, to the
 * process itself through its task FIFO.
 */
export function createTaskService(options: TaskServiceOptions): TaskService {
  const { bus, core, clock, leases, home, onProblem } = options;
  const fleets = new Map<string, Fleet>();
  /** No fleet is refilled or trimmed before the saved tasks are back: it would take their instances for idle ones. */
  let isRestored = false;
  let markRestored = (): void => {};
  /** Allocations wait for it too: an adopted instance may still have a saved task to take back. */
  const restored = new Promise<void>((resolve) => {
    markRestored = resolve;
  });

  const taskProgram = (name: string): { program: ManagedProgram; fleet: Fleet } => {
    const program = core.get(name);
    const fleet = fleets.get(name);
    if (!fleet || program.spec.tasks === undefined) {
      throw new ConflictError(
        'TEND_ERR_PROGRAM_NOT_TASKS',
        `\`${name}\` is not a task program; start it with --tasks (or use \`tend allocate ${name}\` for a free instance)`,
      );
    }
    return { program, fleet };
  };

  const reply = (name: string, task: Task): TaskReply => {
    const spec = core.find(name)?.spec;
    return {
      program: name,
      id: task.id,
      instance: task.instance,
      pid: task.pid,
      host: INSTANCE_HOST,
      port: spec ? instancePort(spec, task.instance) : null,
      owner: task.owner,
      createdAt: new Date(task.createdAt).toISOString(),
      ageMs: Math.max(0, clock.now() - task.createdAt),
      connections: task.connections,
      isOwnerConnected: task.isOwnerConnected,
    };
  };

  /** Programs whose task table changed since it was last sent to their proxy. */
  const unpublished = new Set<string>();
  let publishing: NodeJS.Immediate | undefined;

  /**
   * Sends the program's proxy its task table once this turn of the event loop is over: every
   * change in one turn (a burst of allocations, the instance events each brings) costs one table
   * build, which is O(tasks), instead of one each, which made a burst quadratic (1,000 heartbeat
   * pairs, bench/RESULTS.md). The proxy learns an allocated task from the allocation's answer, so
   * the table only has to follow.
   */
  const publish = (name: string): void => {
    unpublished.add(name);
    publishing ??= setImmediate(() => {
      publishing = undefined;
      const names = [...unpublished];
      unpublished.clear();
      for (const each of names) publishNow(each);
    });
  };

  /** Sends the program's table now if a change of it waits for the end of the turn. */
  const publishPending = (name: string): void => {
    if (unpublished.delete(name)) publishNow(name);
  };

  /** Sends the program's proxy its task table now (only changes go out). */
  const publishNow = (name: string): void => {
    // Not before the saved tasks are back: the proxy's first table lists them (pool-proxy.ts).
    if (!isRestored) return;
    const program = core.find(name);
    const fleet = fleets.get(name);
    if (!program?.proxy || !fleet) return;
    const table: ProxyTask[] = fleet.book.list().flatMap((task) => {
      const port = instancePort(program.spec, task.instance);
      if (port === null) return [];
      const instance = program.pool.instance(task.instance);
      const isReady = instance?.pid === task.pid && isInstanceReady(instance);
      return [
        {
          id: task.id,
          instance: task.instance,
          port,
          state: isReady ? 'ready' : 'starting',
          owner: task.owner,
        },
      ];
    });
    program.proxy.setTasks(table);
  };

  const resize = (name: string, fleet: Fleet): void => {
    let isFailed = false;
    fleet.resizing = fleet.resizing
      .then(async () => {
        const program = core.find(name);
        const target = fleet.wanted;
        if (!program || target === null || program.spec.instances === target) return;
        await core.scale(name, { to: target });
      })
      .catch((error: unknown) => {
        isFailed = true;
        fleet.wanted = null;
        onProblem(`could not resize the task fleet of ${name}`, error);
      })
      .finally(() => {
        if (fleet.wanted === core.find(name)?.spec.instances) fleet.wanted = null;
        // After a failure the next change of the pool tries again, not this turn: a refusal that
        // lasts (a port held by a process tend does not know) made a loop that logged it ~30
        // times a second. Waiting requests are refused at their timeout meanwhile.
        if (fleets.get(name) === fleet && !isFailed) fleet.book.poolChanged();
      });
  };

  const createFleet = (name: string): Fleet => {
    const sizeOf = (program: ManagedProgram) => fleet.wanted ?? program.spec.instances;
    const fleetPort: TaskFleet = {
      name,
      get max() {
        return core.get(name).spec.max;
      },
      get min() {
        return core.get(name).spec.min;
      },
      settings: () => {
        const tasks = core.get(name).spec.tasks;
        if (!tasks) throw new Error(`${name} is no longer a task program`);
        return tasks;
      },
      isRunning: () => {
        const program = core.find(name);
        if (!isRestored) return false;
        return program?.desired === 'running' && program.waiting === null;
      },
      members: () => {
        const program = core.get(name);
        const size = sizeOf(program);
        // The supervisors themselves, not snapshots: this runs several times per allocation, and
        // snapshots (statistics copied) of a fleet of 1,000 made each allocation cost milliseconds.
        const members: FleetMember[] = program.pool.instances.slice(0, size).map((instance) => ({
          instance: instance.index,
          port: instancePort(program.spec, instance.index),
          pid: instance.pid,
          isReady: isInstanceReady(instance),
        }));
        for (let index = members.length; index < size; index++) {
          members.push({
            instance: index,
            port: instancePort(program.spec, index),
            pid: null,
            isReady: false,
          });
        }
        return members;
      },
      isTakenElsewhere: (instance) => leases.isLeased(name, instance),
      grow: () => {
        const program = core.get(name);
        fleet.wanted = Math.min(program.spec.max, sizeOf(program) + 1);
        resize(name, fleet);
      },
      shrink: (count) => {
        const program = core.get(name);
        fleet.wanted = Math.max(program.spec.min, sizeOf(program) - count);
        resize(name, fleet);
      },
      retire: (instance, pid, reason) => {
        const supervisor = core.find(name)?.pool.instance(instance);
        if (supervisor?.pid !== pid) return;
        // Stopped now, its exit saying why; its `stopped` brings the slot a fresh process, paced
        // with the pool's other starts (refillStoppedSlot): not a restart.
        void supervisor.stop(reason);
      },
    };
    const fleet: Fleet = {
      wanted: null,
      resizing: Promise.resolve(),
      book: new TaskBook(fleetPort, clock, {
        allocated: (task) => {
          bus.emit({
            kind: 'task.allocated',
            program: name,
            instance: task.instance,
            task: task.id,
            owner: task.owner,
            pid: task.pid,
          });
          try {
            tellTask(home, name, task.instance, taskLine(task));
          } catch (error) {
            onProblem(`${name}:${task.instance}: could not tell the process its task`, error);
          }
          publish(name);
        },
        connectionsChanged: (task) => {
          bus.emit({
            kind: 'task.connections',
            program: name,
            instance: task.instance,
            task: task.id,
            connections: task.connections,
            isOwnerConnected: task.isOwnerConnected,
          });
        },
        ended: (task, end) => {
          bus.emit({
            kind: 'task.ended',
            program: name,
            instance: task.instance,
            task: task.id,
            end,
          });
          publish(name);
        },
      }),
    };
    return fleet;
  };

  /**
   * A slot whose process ended for good (an ended task's, stopped by `retire`, or one whose
   * restart policy said so) gets a fresh process while the program is meant to run, so the fleet
   * keeps its size; the buffer's trim removes what is too many. The start is paced with the
   * pool's others (start-pacer.ts): a thousand tasks that end together are replaced 16 starting
   * at a time, not in one burst of spawns (300 at once made `tend delete` of that fleet take
   * 107 s). A slot being removed is no longer in the pool.
   */
  const refillStoppedSlot = (name: string, instance: number): void => {
    const program = core.find(name);
    if (!program?.pool.instance(instance) || program.waiting !== null || !isRestored) return;
    program.pool.startInstance(instance);
  };

  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.added') {
      fleets.get(event.program)?.book.removeAll(`\`${event.program}\` was replaced`);
      fleets.delete(event.program);
      if (event.spec.tasks) fleets.set(event.program, createFleet(event.program));
      return;
    }
    if (!('program' in event)) return;
    const fleet = fleets.get(event.program);
    if (!fleet) return;
    if (event.kind === 'program.removed') {
      fleets.delete(event.program);
      fleet.book.removeAll(`\`${event.program}\` was deleted while the request waited`);
      removeTaskFifos(home, event.program);
      return;
    }
    // Its own doing (allocations, connections, ends, and the proxy membership they change): nothing to settle.
    if (
      event.kind === 'task.allocated' ||
      event.kind === 'task.connections' ||
      event.kind === 'task.ended' ||
      event.kind === 'proxy.membership'
    )
      return;
    if (event.kind === 'instance.exited' && event.role === 'instance') {
      fleet.book.processExited(event.instance, event.pid);
    } else if (event.kind === 'instance.exited' && event.role === 'proxy') {
      // Every WebSocket through it is cut, and a new proxy tells nothing of a task nobody
      // connects to. Its exit is told before the next proxy starts (one supervisor, one process),
      // so no word of the next proxy is undone here. A program being stopped is not meant to run
      // by then: its tasks end with their processes.
      if (core.find(event.program)?.desired === 'running') fleet.book.connectionsLost();
      return;
    } else if (
      event.kind === 'instance.state' &&
      event.role === 'instance' &&
      event.state === 'stopped'
    ) {
      refillStoppedSlot(event.program, event.instance);
    } else if ('role' in event && event.role === 'proxy') return;
    else fleet.book.poolChanged();
    publish(event.program);
  });

  return {
    list(name) {
      const { fleet } = taskProgram(name);
      return fleet.book.list().map((task) => reply(name, task));
    },
    tasksOf(name) {
      return (
        fleets
          .get(name)
          ?.book.list()
          .map((task) => reply(name, task)) ?? []
      );
    },
    async allocate(name, request) {
      taskProgram(name);
      await restored;
      const task = await taskProgram(name).fleet.book.allocate(request);
      // The API's client may go to the proxy with this id as soon as it has the answer, and the
      // proxy knows only what the table told it: the table goes out before the answer.
      publishPending(name);
      return reply(name, task);
    },
    close(name, id) {
      const { fleet } = taskProgram(name);
      return reply(name, fleet.book.close(id));
    },
    isReserved(name, instance) {
      return fleets.get(name)?.book.onInstance(instance) !== undefined;
    },
    saved(name) {
      return fleets.get(name)?.book.saved() ?? [];
    },
    restore(saved) {
      isRestored = true;
      markRestored();
      for (const [name, tasks] of saved) {
        const fleet = fleets.get(name);
        if (!fleet) continue;
        for (const task of tasks) {
          if (fleet.book.restore(task)) continue;
          onProblem(
            `${name}: task ${task.id} ended while no daemon ran (its process ${task.pid} is gone)`,
          );
        }
      }
      for (const [name, fleet] of fleets) {
        fleet.book.poolChanged();
        publish(name);
      }
    },
    onNotify(name, instance, digest) {
      const pid = core.find(name)?.pool.instance(instance)?.pid ?? null;
      if (pid === null) return;
      if (digest.taskState === 'free') leases.releaseInstance(name, instance);
      const book = fleets.get(name)?.book;
      if (!book) return;
      if (digest.taskState !== undefined) book.processSaid(instance, pid, digest.taskState);
      if (digest.isShutdown || digest.isStopping) book.processSaid(instance, pid, 'shutdown');
    },
    onProxyMessage(name, message, answer) {
      if (message.type === 'task-connections') {
        fleets
          .get(name)
          ?.book.setConnections(
            message.id,
            message.count,
            message.isOwnerConnected,
            message.hasOwnerGivenUp === true,
          );
        return;
      }
      if (message.type === 'release-lease') {
        // Ended already (expired, released, its instance exited): nothing is left to release.
        try {
          leases.release(name, message.leaseId, message.holder);
        } catch {
          // TEND_ERR_LEASE_NOT_FOUND: it ended by itself meanwhile.
        }
        return;
      }
      const { requestId } = message;
      const refuse = (error: unknown) => answer(refusal(requestId, error));
      if (message.type === 'lease-action') {
        // As the API's lease routes: 404 for a lease ended or unknown here (another pool's too),
        // 409 for another holder's; a refused action changes nothing.
        try {
          const { leaseId, holder } = message;
          const lease =
            message.action === 'release'
              ? leases.release(name, leaseId, holder)
              : leases.renew(name, leaseId, message.ttlMs ?? undefined, holder);
          answer({ type: 'lease-updated', requestId, lease: { ...lease } });
        } catch (error) {
          refuse(error);
        }
        return;
      }
      if (message.type === 'allocate-lease') {
        leases
          .allocate(name, {
            holder: message.holder,
            ttlMs: message.ttlMs,
            timeoutMs: message.timeoutMs,
          })
          .then(
            (lease) => answer({ type: 'lease-granted', requestId, lease: { ...lease } }),
            refuse,
          );
        return;
      }
      const allocation = restored.then(() => {
        const { program, fleet } = taskProgram(name);
        return fleet.book.allocate({
          id: message.id,
          owner: message.owner,
          timeoutMs: program.spec.tasks?.connectWaitMs ?? 0,
          isOwnerAwaited: true,
        });
      });
      allocation.then((task) => {
        const port = instancePort(core.get(name).spec, task.instance);
        if (port === null) {
          refuse(new Error(`${name} has no port`));
          return;
        }
        answer({
          type: 'task-allocated',
          requestId,
          task: {
            id: task.id,
            instance: task.instance,
            host: INSTANCE_HOST,
            port,
            state: 'ready',
            owner: task.owner,
          },
        });
      }, refuse);
    },
    shutdown() {
      unsubscribe();
      if (publishing !== undefined) clearImmediate(publishing);
      for (const fleet of fleets.values()) fleet.book.cancelAll('the daemon is stopping');
    },
  };
}

/** The `refused` answer for an error: its HTTP status and tend code, or a 500 for a bug. */
function refusal(requestId: string, error: unknown): DaemonMessageInput {
  if (error instanceof TendError) {
    return {
      type: 'refused',
      requestId,
      status: ERROR_TABLE[error.code].status,
      code: error.code,
      message: error.message,
    };
  }
  return {
    type: 'refused',
    requestId,
    status: 500,
    code: 'TEND_ERR_INTERNAL',
    message: String((error as Error)?.message ?? error),
  };
}
