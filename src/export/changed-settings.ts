import { formatDuration } from '../config/human-units.js';
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

/**
 * Warnings for tend's own ways of catching a hang, which no other system has as such: heartbeats
 * on tend's notify fd (`--watchdog`, `readiness: notify`) and the silence timeout; and task
 * programs, which speak on tend's fds too. `instead` says
 * what to use in the target system.
 */
export function hangWatchWarnings(spec: ProgramSpec, instead: string): string[] {
  const warnings: string[] = [];
  if (spec.readiness === 'notify') {
    warnings.push(
      `readiness notify (ready when the program writes READY=1 to $TEND_NOTIFY_FD) does not translate: ${instead}`,
    );
  }
  if (spec.watchdogMs !== undefined) {
    warnings.push(
      `watchdogMs (WATCHDOG=1 on $TEND_NOTIFY_FD every ${formatDuration(spec.watchdogMs)}) does not translate: ${instead}`,
    );
  }
  if (spec.tasks !== undefined) {
    warnings.push(
      `tasks (each allocated instance one client's task, told on $TEND_TASK_FD, never reused) does not translate: the instances run as a plain pool (Agones does this on Kubernetes)`,
    );
  }
  if (spec.silenceTimeoutMs !== undefined) {
    warnings.push(
      `silenceTimeoutMs (hung after ${formatDuration(spec.silenceTimeoutMs)} without output) does not translate: ${instead}`,
    );
  }
  return warnings;
}
