/**
 * The typed events the daemon's core emits: one stream that persistence, the proxy feed, the
 * API's event stream, metrics and the dashboard all read. A closed, discriminated union on
 * `kind`; every event carries a sequence number (strictly increasing, continued across daemon
 * runs through the state file) and an ISO-8601 time.
 */
import type { ProgramSpec } from '../config/program-spec.js';
import type { ProbeName } from '../health/probe-scheduler.js';
import type { MembershipUpdate } from '../pool/membership-change.js';
import type { SignalName } from '../process/signals.js';
import type { DesiredState, InstanceState, RestartCause } from '../supervisor/types.js';

export type { RestartCause };

/** Which process of a program an instance event is about: a pool member or the pool's proxy. */
export type InstanceRole = 'instance' | 'proxy';

/** Why a program meant to run has not started yet: its dependencies that are not ready, in words. */
export interface DependencyWait {
  /** The dependencies that are not ready. */
  dependencies: string[];
  /** What `tend status` shows: `waiting for db (starting)`, `waiting for db: db is errored (…)`. */
  reason: string;
  /** Whether a dependency cannot become ready by itself (errored, stopped, not managed). */
  isStuck: boolean;
}

/** Why a program stopped waiting for its dependencies: they are ready (it starts now), or it was stopped. */
export type UnblockCause = 'dependencies-ready' | 'stopped';

/**
 * How a daemon took over from the one before it: after a crash (brought back by its watcher, or
 * started by hand), or at a hand-over (`tend daemon reload`). `adopted` processes kept running
 * with the same pid; `gone` ones had ended meanwhile (recorded with an unknown exit code, and
 * started again).
 */
export interface DaemonRecovery {
  after: 'crash' | 'reload';
  /** When the previous daemon ended, as its watcher saw it (ISO-8601), or null when no watcher saw it. */
  endedAt: string | null;
  /** How it ended in words (`killed by SIGKILL`, `exited with code 1`), or null when unknown. */
  how: string | null;
  /** Crashes in a row, each after less than the watcher's stable run (1 for a single crash). */
  crashesInARow: number;
  adopted: number;
  gone: number;
}

/** What a daemon fault is about: writing the logs, or writing the state file. */
export type DaemonFaultArea = 'logs' | 'state';

/** The events, without the envelope (`seq`, `time`) that the bus adds. */
export type TendEventBody =
  | { kind: 'daemon.started'; pid: number; version: string; recovery?: DaemonRecovery }
  | { kind: 'daemon.stopping'; pid: number }
  /** The daemon cannot do something it must (a full disk): it keeps everything running and retries by itself. */
  | { kind: 'daemon.fault'; area: DaemonFaultArea; problem: string }
  /** A fault is over: what waited was written. */
  | { kind: 'daemon.fault-cleared'; area: DaemonFaultArea }
  | { kind: 'program.added'; program: string; spec: ProgramSpec }
  /** The definition was replaced (`changed`: the top-level fields that differ); running processes keep the old one. */
  | { kind: 'program.updated'; program: string; spec: ProgramSpec; changed: string[] }
  | { kind: 'program.removed'; program: string }
  /** The user asked for the program to run or to stay stopped (start, stop, restart). */
  | { kind: 'program.desired'; program: string; desired: DesiredState }
  | { kind: 'program.scaled'; program: string; from: number; to: number }
  /** The program is meant to run but waits for its dependencies; emitted again when the reason changes. */
  | ({ kind: 'program.waiting'; program: string } & DependencyWait)
  /** The program no longer waits: its dependencies are ready and it starts, or it was stopped. */
  | { kind: 'program.unblocked'; program: string; cause: UnblockCause }
  | {
      kind: 'instance.state';
      program: string;
      instance: number;
      role: InstanceRole;
      state: InstanceState;
      previous: InstanceState;
      pid: number | null;
      reason: string | null;
    }
  | { kind: 'instance.spawned'; program: string; instance: number; role: InstanceRole; pid: number }
  /** The process became ready: first (`starting` → `online`), or again after `instance.not-ready`. */
  | { kind: 'instance.ready'; program: string; instance: number; role: InstanceRole; pid: number }
  /** Its readiness probe failed its threshold: out of the proxy's rotation, still `online`, not restarted. */
  | {
      kind: 'instance.not-ready';
      program: string;
      instance: number;
      role: InstanceRole;
      pid: number;
      reason: string;
    }
  /** One check of a probe failed (`reason`: `GET /healthz answered 500`…). */
  | {
      kind: 'instance.probe-failed';
      program: string;
      instance: number;
      role: InstanceRole;
      pid: number;
      probe: ProbeName;
      reason: string;
    }
  /** The proxy found the instance silent past a response timeout; its liveness probe runs at once. */
  | {
      kind: 'instance.suspect';
      program: string;
      instance: number;
      role: InstanceRole;
      pid: number;
      reason: string;
    }
  | {
      kind: 'instance.exited';
      program: string;
      instance: number;
      role: InstanceRole;
      pid: number;
      code: number | null;
      signal: SignalName | null;
      uptimeMs: number;
      isFailure: boolean;
      /** Why it ended in words when tend knows more than the code or signal (stopped, hung). */
      reason: string | null;
    }
  | {
      kind: 'instance.restarted';
      program: string;
      instance: number;
      role: InstanceRole;
      pid: number;
      cause: RestartCause;
    }
  /** What the instance said about itself on its notify channel (STATUS=…), at most once a second. */
  | {
      kind: 'instance.status';
      program: string;
      instance: number;
      role: InstanceRole;
      pid: number;
      text: string;
    }
  | {
      kind: 'instance.errored';
      program: string;
      instance: number;
      role: InstanceRole;
      reason: string;
    }
  /** An instance was handed out to a client (`tend allocate`); it gets no other client until the lease ends. */
  | {
      kind: 'lease.granted';
      program: string;
      instance: number;
      lease: string;
      holder: string | null;
    }
  /** A lease ended: released, expired, its instance exited, or the program was removed. */
  | {
      kind: 'lease.ended';
      program: string;
      instance: number;
      lease: string;
      end: 'released' | 'expired' | 'exited' | 'removed';
    }
  /** A task program's instance was allocated to a task (API, proxy, or the process itself); it leaves the proxy's rotation. */
  | {
      kind: 'task.allocated';
      program: string;
      instance: number;
      task: string;
      owner: string | null;
      pid: number;
    }
  /**
   * What the proxy says of a task's connections changed: how many there are (WebSockets and
   * plain HTTP requests in flight), and whether its owner is among them. The proxy tells a change
   * of the count alone within a quarter of a second, the owner's coming and going at once.
   */
  | {
      kind: 'task.connections';
      program: string;
      instance: number;
      task: string;
      connections: number;
      isOwnerConnected: boolean;
    }
  /** A task ended: its owner left, it was closed, its process exited or said so, or the program was deleted. */
  | {
      kind: 'task.ended';
      program: string;
      instance: number;
      task: string;
      end: 'owner-left' | 'closed' | 'exited' | 'shutdown' | 'freed' | 'removed';
    }
  /**
   * The pool's proxy membership changed: the members added or changed (every member in a pool's
   * first event of a daemon run), the instances removed, and the counts now. Only the change, not the
   * whole list: with a task fleet of 1,000 the list went on the bus at each allocation.
   */
  | ({ kind: 'proxy.membership'; program: string } & MembershipUpdate)
  /** A rolling reload began (`changed`: the definition's fields it applies; `instances`: how many it replaces). */
  | {
      kind: 'program.reload-started';
      program: string;
      instances: number;
      maxSurge: number;
      maxUnavailable: number;
      drainTimeoutMs: number;
      changed: string[];
    }
  /** An instance of a reload has a new process that is ready, and its old one (if any) is gone; a surge instance has `previousPid` null. */
  | {
      kind: 'instance.replaced';
      program: string;
      instance: number;
      role: InstanceRole;
      previousPid: number | null;
      pid: number;
    }
  /** Every instance of the reload was replaced. */
  | { kind: 'program.reload-finished'; program: string; replaced: number; durationMs: number }
  /**
   * A reload stopped: `failedInstance` is the one whose replacement failed (null: the reload was
   * stopped otherwise), `restored` whether that slot serves again with the definition of before.
   */
  | {
      kind: 'program.reload-failed';
      program: string;
      failedInstance: number | null;
      reason: string;
      restored: boolean;
    };

/** Every event kind, for validating filters. */
export const EVENT_KINDS = [
  'daemon.started',
  'daemon.stopping',
  'daemon.fault',
  'daemon.fault-cleared',
  'program.added',
  'program.updated',
  'program.removed',
  'program.desired',
  'program.scaled',
  'program.waiting',
  'program.unblocked',
  'instance.state',
  'instance.spawned',
  'instance.ready',
  'instance.not-ready',
  'instance.probe-failed',
  'instance.suspect',
  'instance.exited',
  'instance.restarted',
  'instance.status',
  'instance.errored',
  'lease.granted',
  'lease.ended',
  'task.allocated',
  'task.connections',
  'task.ended',
  'proxy.membership',
  'program.reload-started',
  'instance.replaced',
  'program.reload-finished',
  'program.reload-failed',
] as const satisfies ReadonlyArray<TendEventBody['kind']>;

/** One kind of event. */
export type TendEventKind = TendEventBody['kind'];

/** An event as subscribers and the wire see it. */
export type TendEvent = TendEventBody & { seq: number; time: string };
