import { AdoptedWatch } from './adopted-watch.js';
import { type CgroupHierarchy, openCgroupProvider } from './cgroup-provider.js';
import type { Containment, ContainmentProvider } from './containment.js';
import { ProcWalkProvider } from './descendant-tracker.js';
import type { SpawnRequest, SupervisorRuntime } from './runtime.js';
import { signalProcess } from './signal-process.js';
import { type OpenOutput, spawnProcess } from './spawn-process.js';
import { startTimer } from './timer.js';

/** Options of the real runtime. */
export interface NodeRuntimeOptions {
  /** Opens the stdout/stderr fds of each instance about to be spawned. */
  openOutput: OpenOutput;
  /** Reads on from the output of a run that a previous daemon started (called when one is adopted). */
  resumeOutput?: (request: SpawnRequest) => void;
  /** The environment processes inherit under their own; the daemon's own by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * The TEND_HOME whose instances this runtime holds: set as TEND_HOME in their environment, and
   * each gets a cgroup under one directory per home. Without it, or with `useCgroups: false`, descendants are tracked by walks of /proc.
   */
  home?: string;
  useCgroups?: boolean;
  /** The cgroup hierarchies to try, most preferred first; those mounted here by default (tests pick v1). */
  cgroupHierarchies?: readonly CgroupHierarchy[];
  /** How often the /proc path looks for descendants (tests shorten it). */
  descendantScanIntervalMs?: number;
}

/** The real SupervisorRuntime, and which path holds each instance's descendants. */
export interface NodeRuntime extends SupervisorRuntime {
  /** Which path is used, in words, for the daemon's log. */
  readonly containment: string;
  /**
   * For a hand-over to the next daemon: from now on nothing is spawned and no exit is reported,
   * so that what the state file says stays true until the next daemon adopts it.
   */
  freeze(): void;
}

/** The real SupervisorRuntime: spawns, signals and reaps OS processes, with the wall clock and real timers. */
export function createNodeRuntime(options: NodeRuntimeOptions): NodeRuntime {
  const provider = chooseContainment(options);
  const fallback = new ProcWalkProvider(
    'a cgroup could not be made',
    options.descendantScanIntervalMs,
  );
  const containments = new Map<number, Containment>();
  const adopted = new AdoptedWatch();
  // TEND_HOME names the home in every instance's environment as the daemon resolved it (over a
  // program's `env`, which `tend start` fills from the shell, where it may be relative): how the
  // next daemon tells this home's processes in /proc (src/daemon/orphan-scan.ts).
  const overrideEnv = options.home === undefined ? undefined : { TEND_HOME: options.home };
  let isFrozen = false;
  const unlessFrozen =
    <T>(report: (value: T) => void) =>
    (value: T): void => {
      if (!isFrozen) report(value);
    };
  return {
    containment: provider.description,
    freeze: () => {
      isFrozen = true;
    },
    now: () => Date.now(),
    setTimer: startTimer,
    spawn: (request, onExit) => {
      if (isFrozen) {
        return { ok: false, errno: undefined, message: 'tend is handing over to a new daemon' };
      }
      let containment: Containment | undefined;
      const contain = (): Containment => {
        try {
          containment = provider.create(request);
        } catch {
          containment = fallback.create();
        }
        return containment;
      };
      const outcome = spawnProcess(
        request,
        (exit) => {
          if (outcome.ok) containments.delete(outcome.pid);
          unlessFrozen(onExit)(exit);
        },
        {
          openOutput: options.openOutput,
          baseEnv: options.env ?? process.env,
          ...(overrideEnv ? { overrideEnv } : {}),
          contain,
        },
      );
      if (outcome.ok && containment) containments.set(outcome.pid, containment);
      return outcome;
    },
    adopt: (request, process, onExit) => {
      let containment: Containment;
      try {
        containment = provider.adopt(request);
      } catch {
        containment = fallback.adopt();
      }
      const isFollowed = adopted.add(process, containment, (exit) => {
        containments.delete(process.pid);
        unlessFrozen(onExit)(exit);
      });
      if (isFollowed) {
        containments.set(process.pid, containment);
        options.resumeOutput?.(request);
      }
      return isFollowed;
    },
    signal: (pid, signal, target) => {
      // The group is the instance's whole family: also what left it (setsid) but is contained.
      // Those first: the /proc path finds them through their parents, which the group signal may end.
      if (target === 'group') containments.get(pid)?.signalOutsideGroup(signal);
      signalProcess(pid, signal, target);
    },
  };
}

function chooseContainment(options: NodeRuntimeOptions): ContainmentProvider {
  if (options.home === undefined || options.useCgroups === false) {
    return new ProcWalkProvider('cgroups not asked for', options.descendantScanIntervalMs);
  }
  const opened = openCgroupProvider(options.home, options.cgroupHierarchies);
  if ('provider' in opened) return opened.provider;
  return new ProcWalkProvider(opened.problem, options.descendantScanIntervalMs);
}
