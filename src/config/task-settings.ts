import { z } from 'zod';

/** Defaults of a task program's settings (`--tasks`), in one place: read by the daemon, proxy, CLI help and docs. */
export const TASK_DEFAULTS = {
  /** Idle, ready instances kept started for the next allocation (Agones' buffer). */
  readyBuffer: 1,
  /** What ends a task besides its process exiting and `tend close`: `owner-leaves` (Servman's rule), `grace`, `explicit`. */
  endWhen: 'owner-leaves' as 'owner-leaves' | 'grace' | 'explicit',
  /** With `endWhen: grace`, how long a task whose owner left waits for it to reconnect. */
  graceMs: 30_000,
  /** How long a client connecting to a task that is still starting waits for it. */
  connectWaitMs: 10_000,
} as const;

/**
 * A task program (`--tasks`): each allocated instance is one client's task, reached by id through
 * the pool's proxy (`/<name>/new`, `/<name>/<id>`); see docs/tasks.md. Part of ProgramSpec.
 */
export const TaskSettingsSchema = z.strictObject({
  readyBuffer: z.number().int().min(0).max(4096).default(TASK_DEFAULTS.readyBuffer),
  endWhen: z.enum(['owner-leaves', 'grace', 'explicit']).default(TASK_DEFAULTS.endWhen),
  graceMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3600 * 1000)
    .default(TASK_DEFAULTS.graceMs),
  connectWaitMs: z.number().int().min(0).max(300_000).default(TASK_DEFAULTS.connectWaitMs),
  /** When set, only clients presenting it may allocate through the proxy (`Authorization: Bearer`, or `?token=`). */
  allocateToken: z.string().min(16).max(256).optional(),
});

/** A task program's settings, defaults applied. */
export type TaskSettings = z.output<typeof TaskSettingsSchema>;
