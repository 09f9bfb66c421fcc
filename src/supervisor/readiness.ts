import type { ProgramSpec } from '../config/program-spec.js';

/**
 * Whether an instance of `spec` stays `starting` until something calls `markReady()`: with
 * `readiness: tcp` (the default for a program with a port), the daemon's TCP check does; with
 * `readiness: notify`, the instance's READY=1 does. A run that became ready through a check
 * counts as stable even if shorter than minUptimeMs.
 */
export function needsReadinessCheck(spec: Pick<ProgramSpec, 'readiness'>): boolean {
  return spec.readiness === 'tcp' || spec.readiness === 'notify';
}
