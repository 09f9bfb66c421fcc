import { PROBE_ROLES, type ProbeRole } from '../config/probe-defaults.js';
import { PROGRAM_DEFAULTS, type ProgramSpec } from '../config/program-spec.js';

/** Whether a program's setting differs from its default: a default that does not translate is not worth a warning, a choice is. */
export function isChanged(spec: ProgramSpec, field: keyof typeof PROGRAM_DEFAULTS): boolean {
  const value = spec[field];
  const fallback = PROGRAM_DEFAULTS[field];
  return JSON.stringify(value) !== JSON.stringify(fallback);
}

/** The probes a program has, by field name. */
export function presentProbes(spec: ProgramSpec): ProbeRole[] {
  return PROBE_ROLES.filter((role) => spec[role] !== undefined);
}
