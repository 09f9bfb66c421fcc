import { z } from 'zod';
import { ALLOCATION_DEFAULTS } from './allocation-defaults.js';

/** The longest wait or time-to-live tend accepts (one day). */
const MAX_MS = 24 * 3600 * 1000;

/** The body of `POST /v1/programs/:name/allocate`. */
export const AllocationRequestSchema = z.strictObject({
  /** Who holds the lease; when given, only that holder may renew or release it. */
  holder: z.string().min(1).max(128).nullable().default(null),
  ttlMs: z.number().int().min(1).max(MAX_MS).nullable().default(ALLOCATION_DEFAULTS.ttlMs),
  /** Bounded by the API's own limits: a client waits at most this long for its answer. */
  timeoutMs: z.number().int().min(0).max(120_000).default(ALLOCATION_DEFAULTS.timeoutMs),
});

/** The body of a lease renewal or release. */
export const LeaseActionSchema = z.strictObject({
  holder: z.string().min(1).max(128).nullable().default(null),
  /** For a renewal: the new time-to-live from now. */
  ttlMs: z.number().int().min(1).max(MAX_MS).optional(),
});

/** The body of `POST /v1/programs/:name/tasks`: allocate a task on a task program. */
export const TaskRequestSchema = z.strictObject({
  /** The id the client wants (letters, digits, `_`, `-`; refused 409 when a live task has it); fresh when absent. */
  id: z.string().max(10_000).nullable().default(null),
  /** Who the task is for; the proxy ends the task when this owner leaves (per `endWhen`). */
  owner: z.string().min(1).max(256).nullable().default(null),
  timeoutMs: z.number().int().min(0).max(120_000).default(ALLOCATION_DEFAULTS.timeoutMs),
});
