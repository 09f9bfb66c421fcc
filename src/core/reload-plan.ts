import type { ProgramSpec } from '../config/program-spec.js';
import { RELOAD_DEFAULTS, type ReloadPacing } from '../config/reload-defaults.js';
import { ConflictError } from '../errors.js';

/** How a reload paces itself, every value settled. */
export interface ReloadPlan {
  /** Temporary instances started on spare ports before any old one is stopped. */
  surge: number;
  /** Old instances out of rotation at once. */
  unavailable: number;
  drainTimeoutMs: number;
}

/**
 * The pacing a reload of `spec` gets from what was asked: Kubernetes' maxSurge and maxUnavailable
 * as counts. A surge instance needs a spare port slot (instances are at `port + i` for i below
 * `max`), so the surge is capped at `max - instances`; when that leaves none and
 * `maxUnavailable` was not given, one instance at a time is out of rotation instead. A plan that
 * allows no step is refused, saying why.
 */
export function reloadPlan(spec: ProgramSpec, pacing: ReloadPacing): ReloadPlan {
  const spare = Math.max(0, spec.max - spec.instances);
  const surge = Math.min(pacing.maxSurge ?? RELOAD_DEFAULTS.maxSurge, spare);
  const unavailable = Math.min(
    spec.instances,
    pacing.maxUnavailable ?? (surge > 0 ? RELOAD_DEFAULTS.maxUnavailable : 1),
  );
  if (surge + unavailable === 0) {
    const why =
      (pacing.maxSurge ?? RELOAD_DEFAULTS.maxSurge) === 0
        ? '--max-surge 0 and --max-unavailable 0 allow no step'
        : `\`${spec.name}\` has no spare port for a surge instance (${spec.instances} instances, max ${spec.max}) and --max-unavailable is 0`;
    throw new ConflictError(
      'TEND_ERR_RELOAD_NO_ROOM',
      `Cannot reload: ${why}; allow --max-unavailable 1, or raise the pool's --max so that a surge instance has a port`,
    );
  }
  return {
    surge,
    unavailable,
    drainTimeoutMs: pacing.drainTimeoutMs ?? RELOAD_DEFAULTS.drainTimeoutMs,
  };
}
