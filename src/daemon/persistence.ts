import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import type { PersistedProgram, StateToSave } from '../store/persisted-state.js';
import type { PidTracker } from './pid-tracker.js';

/** What persistence needs from the durable store. */
export interface PersistPort {
  save(state: StateToSave, options: { allowEmpty: boolean }): Promise<void>;
}

/** What the state file keeps: the programs, and where the event numbers go on. */
export function toStateToSave(bus: EventBus, core: ProgramCore, pids: PidTracker): StateToSave {
  return { programs: toPersisted(core, pids), nextEventSeq: bus.nextSeq };
}

/** The programs in the form the state file keeps. */
export function toPersisted(core: ProgramCore, pids: PidTracker): PersistedProgram[] {
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
    };
  });
}

/**
 * Saves the state file after every change the bus reports: once per burst of events (the events
 * emitted in one synchronous step, such as an exit and the restart that follows), a microtask
 * after the burst, so that the snapshot of every program is taken once rather than once per
 * event (with 100 instances, starting them all was quadratic). The store coalesces further while
 * a write is in flight. Only a removal may leave the file with no program, so that a bug or a
 * race never wipes the list.
 */
export function persistOnEvents(options: {
  bus: EventBus;
  core: ProgramCore;
  pids: PidTracker;
  store: PersistPort;
  onProblem: (message: string, detail?: unknown) => void;
}): () => void {
  const { bus, core, pids, store, onProblem } = options;
  let isScheduled = false;
  let allowEmpty = false;
  let isStopped = false;
  const saveNow = (): void => {
    isScheduled = false;
    if (isStopped) return;
    const isEmptyAllowed = allowEmpty;
    allowEmpty = false;
    store
      .save(toStateToSave(bus, core, pids), { allowEmpty: isEmptyAllowed })
      .catch((error: unknown) => onProblem('could not save the state file', error));
  };
  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.removed') allowEmpty = true;
    if (isScheduled) return;
    isScheduled = true;
    queueMicrotask(saveNow);
  });
  return () => {
    isStopped = true;
    unsubscribe();
  };
}
