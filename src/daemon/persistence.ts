import type { SavedLease } from '../api/routes/lease-routes.js';
import type { EventBus } from '../core/event-bus.js';
import type { DaemonFaultArea } from '../core/events.js';
import type { ProgramCore } from '../core/program-core.js';
import type { PersistedProgram, StateToSave } from '../store/persisted-state.js';
import type { SavedTask } from '../tasks/task-book.js';
import type { PidTracker } from './pid-tracker.js';

/** Where the tasks and leases to save come from (the task and lease services); none when left out. */
export type TaskSource =
  | { tasks: { saved(name: string): SavedTask[] }; leases: { saved(name: string): SavedLease[] } }
  | undefined;

/** What persistence needs from the durable store. */
export interface PersistPort {
  /** Builds the state (the function) when its write starts: saves asked for meanwhile share it. */
  save(state: () => StateToSave, options: { allowEmpty: boolean }): Promise<void>;
}

/** What the state file keeps: the programs, and where the event numbers go on. */
export function toStateToSave(
  bus: EventBus,
  core: ProgramCore,
  pids: PidTracker,
  tasks?: TaskSource,
): StateToSave {
  return { programs: toPersisted(core, pids, tasks), nextEventSeq: bus.nextSeq };
}

/** The programs in the form the state file keeps. */
export function toPersisted(
  core: ProgramCore,
  pids: PidTracker,
  tasks?: TaskSource,
): PersistedProgram[] {
  return core.list().map((program) => {
    const snapshot = program.pool.snapshot();
    const proxy = program.proxySnapshot();
    return {
      spec: program.spec,
      desired: core.desiredAcrossRestart(program),
      instances: snapshot.instances.map((instance) => ({
        index: instance.instance,
        stats: instance.stats,
        lastPid: instance.pid,
        lastPidStartTime: pids.startTimeOf(instance.pid),
        lastPidStartedAt: instance.startedAt,
      })),
      proxyProcess:
        proxy?.pid == null
          ? null
          : {
              pid: proxy.pid,
              startTime: pids.startTimeOf(proxy.pid),
              startedAt: proxy.startedAt,
            },
      tasks: tasks?.tasks.saved(program.name) ?? [],
      leases: tasks?.leases.saved(program.name) ?? [],
    };
  });
}

/** Where a state file that cannot be written is said (once) and said to be over. */
export interface FaultPort {
  raise(area: DaemonFaultArea, problem: string, error?: unknown): void;
  clear(area: DaemonFaultArea): void;
}

/** Wait before the first retry of a state write the OS refused (a full disk); doubled up to 5 s. */
export const FIRST_STATE_RETRY_MS = 200;
const MAX_STATE_RETRY_MS = 5_000;

/**
 * Saves the state file after every change the bus reports: once per burst of events (the events
 * emitted in one synchronous step, such as an exit and the restart that follows), a microtask
 * after the burst, so that the snapshot of every program is taken once rather than once per
 * event (with 100 instances, starting them all was quadratic). The store coalesces further while
 * a write is in flight, and the snapshot is taken when the write starts: the 100 exits of a
 * deleted pool, each a burst of its own, build a few snapshots instead of 100. `saveAtOnce`
 * saves once at the start. Only a removal may leave the file
 * with no program, so that a bug or a race never wipes the list. A write the OS refuses (a full
 * disk) leaves the previous file whole (temp file and rename), is said once as a fault, and is
 * retried with the state of that moment, with backoff, until it goes through.
 */
export function persistOnEvents(options: {
  bus: EventBus;
  core: ProgramCore;
  pids: PidTracker;
  store: PersistPort;
  onProblem: (message: string, detail?: unknown) => void;
  faults?: FaultPort;
  saveAtOnce?: boolean;
  /** Wait before the first retry; tests shorten it. */
  firstRetryMs?: number;
  tasks?: TaskSource;
}): () => void {
  const { bus, core, pids, store, onProblem, faults, tasks } = options;
  const firstRetryMs = options.firstRetryMs ?? FIRST_STATE_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 0;
  let isStopped = false;
  const save = (allowEmpty: boolean): void => {
    store
      .save(() => toStateToSave(bus, core, pids, tasks), { allowEmpty })
      .then(
        () => {
          if (retryMs === 0 || retryTimer !== undefined) return;
          retryMs = 0;
          faults?.clear('state');
        },
        (error: unknown) => {
          if (typeof (error as NodeJS.ErrnoException).code !== 'string' || faults === undefined) {
            onProblem('could not save the state file', error);
            return;
          }
          faults.raise(
            'state',
            `cannot write the state file: ${(error as Error).message}; the last state written stays whole, and the write is retried`,
            error,
          );
          if (retryTimer !== undefined || isStopped) return;
          retryMs = retryMs === 0 ? firstRetryMs : Math.min(retryMs * 2, MAX_STATE_RETRY_MS);
          retryTimer = setTimeout(() => {
            retryTimer = undefined;
            save(allowEmpty);
          }, retryMs);
          retryTimer.unref();
        },
      );
  };
  let isScheduled = false;
  let isEmptyAllowed = false;
  const saveBurst = (): void => {
    isScheduled = false;
    if (isStopped) return;
    const allowEmpty = isEmptyAllowed;
    isEmptyAllowed = false;
    save(allowEmpty);
  };
  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.removed') isEmptyAllowed = true;
    if (isScheduled) return;
    isScheduled = true;
    queueMicrotask(saveBurst);
  });
  if (options.saveAtOnce) save(false);
  return () => {
    isStopped = true;
    clearTimeout(retryTimer);
    unsubscribe();
  };
}
