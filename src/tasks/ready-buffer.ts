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

/**
 * How many instances to remove from the top of a fleet (only the highest index can go) so that
 * it shrinks back towards `readyBuffer` idle ones once tasks ended: the top ones, while idle, the
 * idle count stays above the buffer, and the fleet above `min`. `isAllocated` is by index.
 */
export function instancesToRemove(fleet: {
  isAllocated: readonly boolean[];
  min: number;
  readyBuffer: number;
}): number {
  let idle = fleet.isAllocated.filter((allocated) => !allocated).length;
  let size = fleet.isAllocated.length;
  let removed = 0;
  while (size > fleet.min && idle > fleet.readyBuffer && fleet.isAllocated[size - 1] === false) {
    size -= 1;
    idle -= 1;
    removed += 1;
  }
  return removed;
}
