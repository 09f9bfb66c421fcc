/**
 * A rolling reload's settings without zod, so that the CLI bundle (help, option checks) reads
 * the same defaults and bounds as the API's schema (src/api/routes/reload-body.ts).
 */

/** The one defaults object of `tend reload`: read by the daemon, the API and the CLI help. */
export const RELOAD_DEFAULTS = {
  /** Kubernetes' maxSurge as a count: one temporary instance on a spare port, when the pool has one. */
  maxSurge: 1,
  /**
   * Kubernetes' maxUnavailable as a count: none while a surge instance keeps the capacity. A pool
   * at its `max` has no spare port for one, so there it is 1 unless given (see reloadPlan).
   */
  maxUnavailable: 0,
  /** How long an instance taken out of rotation may take to finish its requests before it is stopped anyway. */
  drainTimeoutMs: 30_000,
} as const;

/** Bounds of the numeric settings, shared by the API's schema and the CLI's option checks. */
export const RELOAD_LIMITS = {
  maxStep: 1024,
  drainTimeoutMsMax: 3_600_000,
} as const;

/** What a reload is asked for besides the definition change: any left out takes its default. */
export interface ReloadPacing {
  maxSurge?: number | undefined;
  maxUnavailable?: number | undefined;
  drainTimeoutMs?: number | undefined;
}
