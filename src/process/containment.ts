import type { SpawnRequest } from './runtime.js';
import type { SignalName } from './signals.js';

/**
 * What holds one run of an instance together beyond its process group, so that a process that
 * left the group (setsid) is still signalled at stop and ended when the main process exits.
 */
export interface Containment {
  /** Runs the synchronous spawn so that the child starts inside (a cgroup must hold it from its first instruction). */
  spawnInside<T>(spawn: () => T): T;
  /** The spawn succeeded: follow this main process (the leader of its group). */
  track(pid: number): void;
  /** Sends a signal to every live member that a signal to the group does not reach. */
  signalOutsideGroup(signal: SignalName): void;
  /** Kills every member left and resolves once none runs (zombies do not count); then releases what it held. */
  end(): Promise<void>;
}

/** Makes the containment of each new run; one per daemon. */
export interface ContainmentProvider {
  /** Which path is used, in words, for the daemon's log. */
  readonly description: string;
  create(request: SpawnRequest): Containment;
  /** Takes back the containment of a run that a previous daemon started, without ending what is in it. */
  adopt(request: SpawnRequest): Containment;
}

/** Sends a signal to one process, ignoring one that is already gone. */
export function killIfPresent(pid: number, signal: SignalName): void {
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) return;
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves after `ms`; only for what no event reports (the death of a process that is not our child). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
