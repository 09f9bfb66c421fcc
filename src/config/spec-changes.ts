import { isDeepStrictEqual } from 'node:util';
import type { ProgramSpec } from './program-spec.js';

/**
 * Fields whose new value takes effect without a new process: the pool's size and bounds (scaling
 * adds or stops instances), and what the supervisor reads at the next exit, stop or restart
 * decision. Any other field (command, env, port, probes…) only reaches a process when it is
 * spawned again; a field added to the schema later needs a respawn unless it is listed here.
 */
const FIELDS_APPLIED_LIVE: ReadonlySet<string> = new Set([
  'instances',
  'min',
  'max',
  'restart',
  'noRestartExitCodes',
  'stopSignal',
  'stopTimeoutMs',
  'minUptimeMs',
  'startTimeoutMs',
  'backoffInitialMs',
  'backoffMaxMs',
  'maxRestarts',
  'restartWindowMs',
]);

/** Fields that only say where a value came from: no process, and no plan, is changed by them. */
const PROVENANCE_FIELDS: ReadonlySet<string> = new Set(['shellEnvNames']);

/** The top-level fields of two definitions of one program that differ, in schema order. */
export function changedSpecFields(before: ProgramSpec, after: ProgramSpec): string[] {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter(
    (field) =>
      !PROVENANCE_FIELDS.has(field) &&
      !isDeepStrictEqual(
        (before as Record<string, unknown>)[field],
        (after as Record<string, unknown>)[field],
      ),
  );
}

/** Of the changed fields, those that reach the program's instances only through a new process. */
export function fieldsNeedingRespawn(changed: readonly string[]): string[] {
  // The proxy's and the task fleet's settings are read by the daemon as they change (the proxy process takes its own at its next start).
  return changed.filter(
    (field) => field !== 'proxy' && field !== 'tasks' && !FIELDS_APPLIED_LIVE.has(field),
  );
}
