import { z } from 'zod';
import { ProgramSpecSchema } from '../config/program-spec.js';
import { parseSignal, type SignalName } from '../process/signals.js';
import type { InstanceStats } from '../supervisor/types.js';

/** The state file format this tend writes and reads. */
export const STATE_VERSION = 1;

const epochMs = z.number().int().min(0);
const count = z.number().int().min(0);

const storedSignal = z
  .string()
  .refine((value) => parseSignal(value) === value, {
    message: 'Expected a signal name such as SIGTERM',
  })
  .transform((value) => value as SignalName);

const ExitRecordSchema = z.strictObject({
  at: epochMs,
  code: z.number().int().nullable(),
  signal: storedSignal.nullable(),
  uptimeMs: count,
  isFailure: z.boolean(),
  reason: z.string().max(4096).optional(),
});

/** Health statistics of one instance, as the state file keeps them. */
export const InstanceStatsSchema = z.strictObject({
  restarts: count,
  failureRestarts: count,
  runs: count,
  totalRunMs: count,
  exits: z.array(ExitRecordSchema),
}) satisfies z.ZodType<InstanceStats>;

/** One instance of a persisted program: its statistics and the last process it ran. */
export const PersistedInstanceSchema = z.strictObject({
  index: z.number().int().min(0),
  stats: InstanceStatsSchema,
  lastPid: z.number().int().min(1).nullable(),
  /** Field 22 of /proc/<pid>/stat, so a reused pid is not mistaken for ours. */
  lastPidStartTime: z.number().int().min(0).nullable(),
  /** Epoch ms when that process was spawned, so that a daemon that adopts it keeps its uptime. */
  lastPidStartedAt: epochMs.nullable().default(null),
});

/** A live task of a task program, taken back with its process by the next daemon. */
export const PersistedTaskSchema = z.strictObject({
  id: z.string().min(1).max(64),
  instance: z.number().int().min(0),
  pid: z.number().int().min(1),
  owner: z.string().max(256).nullable(),
  createdAt: epochMs,
  /** Its owner was connected (or within its grace): the next daemon waits for the proxy's word (docs/tasks.md). */
  isOwnerConnected: z.boolean().default(false),
});

/** A dispatcher's lease, taken back with its process by the next daemon. */
export const PersistedLeaseSchema = z.strictObject({
  id: z.string().min(1).max(64),
  instance: z.number().int().min(0),
  pid: z.number().int().min(1),
  holder: z.string().max(128).nullable(),
  grantedAt: epochMs,
  expiresAt: epochMs.nullable(),
  ttlMs: z.number().int().min(1).nullable(),
});

/** Whether the user wants a program running or stopped. */
export const DesiredStateSchema = z.enum(['running', 'stopped']);

/** One managed program as the state file keeps it. */
export const PersistedProgramSchema = z
  .strictObject({
    spec: ProgramSpecSchema,
    desired: DesiredStateSchema,
    instances: z.array(PersistedInstanceSchema),
    /** The pool's proxy process, so that a daemon killed with SIGKILL does not leave it holding the port. */
    proxyProcess: z
      .strictObject({
        pid: z.number().int().min(1),
        startTime: z.number().int().min(0).nullable(),
        startedAt: epochMs.nullable().default(null),
      })
      .nullable()
      .default(null),
    /** A task program's live tasks (docs/tasks.md); a state file written before tasks has none. */
    tasks: z.array(PersistedTaskSchema).max(65_536).default([]),
    /** The dispatcher's leases (`tend allocate`); a state file written before them has none. */
    leases: z.array(PersistedLeaseSchema).max(65_536).default([]),
  })
  .superRefine((program, ctx) => {
    const seen = new Set<number>();
    for (const [position, instance] of program.instances.entries()) {
      if (seen.has(instance.index)) {
        ctx.addIssue({
          code: 'custom',
          path: ['instances', position, 'index'],
          message: `Expected each instance index once, got ${instance.index} twice`,
        });
      }
      seen.add(instance.index);
    }
  });

/** The top level of the state file, before its programs are checked one by one. */
export const StateEnvelopeSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  savedAt: z.iso.datetime(),
  bootId: z.string().max(128).nullable().default(null),
  nextEventSeq: z.number().int().min(1).default(1),
  programs: z.array(z.unknown()),
});

/** One persisted instance. */
export type PersistedInstance = z.output<typeof PersistedInstanceSchema>;
/** One persisted program: its definition, what the user wants, and its instances' history. */
export type PersistedProgram = z.output<typeof PersistedProgramSchema>;
/** Whether the user wants a program running or stopped. */
export type PersistedDesiredState = z.output<typeof DesiredStateSchema>;

/** The whole durable state of a daemon: `$TEND_HOME/state.json`. */
export interface PersistedState {
  version: typeof STATE_VERSION;
  /** ISO-8601 instant of the write. */
  savedAt: string;
  /** The boot the pids were recorded in (/proc/sys/kernel/random/boot_id): start times only compare within one boot. */
  bootId: string | null;
  /** The sequence number the daemon's next event gets, so that numbers keep rising across daemon runs. */
  nextEventSeq: number;
  programs: PersistedProgram[];
}

/** What a caller hands to the store; the store stamps `version`, `savedAt` and `bootId` itself. */
export interface StateToSave {
  programs: PersistedProgram[];
  nextEventSeq?: number;
}

/** A state with no programs, as a fresh home has. */
export function emptyState(now: Date = new Date()): PersistedState {
  return {
    version: STATE_VERSION,
    savedAt: now.toISOString(),
    bootId: null,
    nextEventSeq: 1,
    programs: [],
  };
}
