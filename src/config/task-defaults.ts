/** What can end a task besides its exit and `tend close` (TaskSettings.endWhen). */
export const TASK_END_RULES = ['owner-leaves', 'grace', 'explicit'] as const;

/** Defaults of a task program's settings (`--tasks`), in one place: read by the daemon, proxy, CLI help and docs. */
export const TASK_DEFAULTS = {
  /** Idle, ready instances kept started for the next allocation (Agones' buffer). */
  readyBuffer: 1,
  /** What ends a task besides its process exiting and `tend close`: `owner-leaves` (Servman's rule), `grace`, `explicit`. */
  endWhen: 'owner-leaves' as TaskEndRule,
  /** With `endWhen: grace`, how long a task whose owner left waits for it to reconnect. */
  graceMs: 30_000,
  /** How long a client connecting to a task that is still starting waits for it. */
  connectWaitMs: 10_000,
} as const;

/** One rule of TASK_END_RULES. */
export type TaskEndRule = (typeof TASK_END_RULES)[number];
