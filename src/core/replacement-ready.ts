import type { InstanceSnapshot } from '../supervisor/types.js';

/**
 * Whether a reload may count an instance's new process as ready (and so stop an old one): the one
 * place that says it, so that readiness probes can refine it. For now: the instance is `online`
 * (its port accepts connections, or it has no readiness check).
 */
export function isReplacementReady(instance: InstanceSnapshot): boolean {
  return instance.state === 'online';
}
