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

/** The events, without the envelope (`seq`, `time`) that the bus adds. */
export type TendEventBody =
  | { kind: 'daemon.started'; pid: number; version: string; recovery?: DaemonRecovery }
  | { kind: 'daemon.stopping'; pid: number }
  | { kind: 'program.added'; program: string; spec: ProgramSpec }
  | { kind: 'program.updated'; program: string; spec: ProgramSpec }
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
      members: Array<{ instance: number; port: number; isReady: boolean }>;
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
] as const satisfies ReadonlyArray<TendEventBody['kind']>;

/** One kind of event. */
export type TendEventKind = TendEventBody['kind'];

/** An event as subscribers and the wire see it. */
export type TendEvent = TendEventBody & { seq: number; time: string };
