/** A task fleet's instances as the buffer policy sees them. */
export interface FleetCounts {
  /** Instances that exist (starting, ready, allocated). */
  total: number;
  /** Of those, allocated to a task or leased. */
  allocated: number;
  /** The most instances the fleet may have. */
  max: number;
  /** How many idle instances to keep started ahead of demand (Agones' buffer). */
  readyBuffer: number;
}

/**
 * How many instances to start now so that `readyBuffer` idle ones exist (started or starting),
 * without going past `max`. Allocated instances are not part of the buffer: each allocation
 * starts a replacement, as Agones' fleet autoscaler's buffer policy does.
 */
export function instancesToStart(counts: FleetCounts): number {
  const idle = counts.total - counts.allocated;
  const wanted = Math.max(0, counts.readyBuffer - idle);
  return Math.max(0, Math.min(wanted, counts.max - counts.total));
}
