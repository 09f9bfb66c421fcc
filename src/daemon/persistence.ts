import type { SavedLease } from '../api/routes/lease-routes.js';
import type { EventBus } from '../core/event-bus.js';
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
  save(state: StateToSave, options: { allowEmpty: boolean }): Promise<void>;
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

/**
 * Saves the state file after every change the bus reports (the store coalesces a burst into
 * one write). Only a removal may leave the file with no program, so that a bug or a race
 * never wipes the list.
 */
export function persistOnEvents(options: {
  bus: EventBus;
  core: ProgramCore;
  pids: PidTracker;
  store: PersistPort;
  onProblem: (message: string, detail?: unknown) => void;
  tasks?: TaskSource;
}): () => void {
  const { bus, core, pids, store, onProblem, tasks } = options;
  return bus.subscribe((event) => {
    store
      .save(toStateToSave(bus, core, pids, tasks), { allowEmpty: event.kind === 'program.removed' })
      .catch((error: unknown) => onProblem('could not save the state file', error));
  });
}
