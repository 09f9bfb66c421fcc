import type { ProgramSpec } from '../config/program-spec.js';

/**
 * Whether an instance of `spec` stays `starting` until something calls `markReady()`: with
 * `readiness: tcp` (the default for a program with a port), the daemon's TCP check does. A run that
 * became ready through a check counts as stable even if shorter than minUptimeMs.
 */
export function needsReadinessCheck(spec: ProgramSpec): boolean {
  return spec.readiness === 'tcp';
}
