import { z } from 'zod';
import { TASK_DEFAULTS, TASK_END_RULES } from './task-defaults.js';

// Kept importable from here, where the schema is; the CLI reads task-defaults.ts (no zod in its bundle).
export { TASK_DEFAULTS, TASK_END_RULES };

/**
 * A task program (`--tasks`): each allocated instance is one client's task, reached by id through
 * the pool's proxy (`/<name>/new`, `/<name>/<id>`); see docs/tasks.md. Part of ProgramSpec.
 */
export const TaskSettingsSchema = z.strictObject({
  readyBuffer: z.number().int().min(0).max(4096).default(TASK_DEFAULTS.readyBuffer),
  endWhen: z.enum(TASK_END_RULES).default(TASK_DEFAULTS.endWhen),
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
