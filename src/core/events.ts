/**
 * The typed events the daemon's core emits: one stream that persistence, the proxy feed, the
 * API's event stream, metrics and the dashboard all read. A closed, discriminated union on
 * `kind`; every event carries a sequence number (strictly increasing, continued across daemon
 * runs through the state file) and an ISO-8601 time.
 */
import type { ProgramSpec } from '../config/program-spec.js';
import type { SignalName } from '../process/signals.js';
import type { DesiredState, InstanceState, RestartCause } from '../supervisor/types.js';

export type { RestartCause };

/** Which process of a program an instance event is about: a pool member or the pool's proxy. */
export type InstanceRole = 'instance' | 'proxy';

/** The events, without the envelope (`seq`, `time`) that the bus adds. */
export type TendEventBody =
  | { kind: 'daemon.started'; pid: number; version: string }
  | { kind: 'daemon.stopping'; pid: number }
  | { kind: 'program.added'; program: string; spec: ProgramSpec }
  /** The definition was replaced (`changed`: the top-level fields that differ); running processes keep the old one. */
  | { kind: 'program.updated'; program: string; spec: ProgramSpec; changed: string[] }
  | { kind: 'program.removed'; program: string }
  /** The user asked for the program to run or to stay stopped (start, stop, restart). */
  | { kind: 'program.desired'; program: string; desired: DesiredState }
  | { kind: 'program.scaled'; program: string; from: number; to: number }
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
  | { kind: 'instance.ready'; program: string; instance: number; role: InstanceRole; pid: number }
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
  | {
      kind: 'instance.errored';
      program: string;
      instance: number;
      role: InstanceRole;
      reason: string;
    }
  | {
      kind: 'proxy.membership';
      program: string;
      members: Array<{ instance: number; port: number; isReady: boolean; isDraining: boolean }>;
    }
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
  'program.added',
  'program.updated',
  'program.removed',
  'program.desired',
  'program.scaled',
  'instance.state',
  'instance.spawned',
  'instance.ready',
  'instance.exited',
  'instance.restarted',
  'instance.errored',
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
