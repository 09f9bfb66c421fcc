import type { ProgramSpec } from '../config/program-spec.js';

/**
 * Whether an instance of `spec` stays `starting` until something calls `markReady()` (a readiness probe).
 * None exists yet, so every instance is ready as soon as it is spawned; a spec-level readiness option
 * only has to change this function. A run that became ready through a check counts as stable even if
 * shorter than minUptimeMs.
 */
export function needsReadinessCheck(_spec: ProgramSpec): boolean {
  return false;
}
