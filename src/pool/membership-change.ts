/** One instance as the proxy is told about it. */
export interface ProxyMember {
  instance: number;
  port: number;
  isReady: boolean;
  /** Out of rotation for a reload, finishing its requests in flight. */
  isDraining: boolean;
}

/** What changed between two memberships: the members added or changed, the instances removed. */
export interface MembershipChange {
  changed: ProxyMember[];
  removed: number[];
}

/** A change of the membership as the bus tells it: what changed, and how many members there are now. */
export interface MembershipUpdate extends MembershipChange {
  /** Members now. */
  size: number;
  /** Members now in the rotation (ready, not draining, not a task's). */
  readyCount: number;
  /** Members now draining for a reload. */
  drainingCount: number;
}

/**
 * The change from `previous` (by instance) to `next`; empty when they are the same. Compares
 * fields, not JSON: this runs at every instance change of a pool of up to a thousand.
 */
export function membershipChange(
  previous: ReadonlyMap<number, ProxyMember>,
  next: readonly ProxyMember[],
): MembershipChange {
  const changed: ProxyMember[] = [];
  let kept = 0;
  for (const member of next) {
    const known = previous.get(member.instance);
    if (known !== undefined) kept++;
    if (
      known === undefined ||
      known.port !== member.port ||
      known.isReady !== member.isReady ||
      known.isDraining !== member.isDraining
    ) {
      changed.push(member);
    }
  }
  const removed: number[] = [];
  if (kept < previous.size) {
    const present = new Set(next.map((member) => member.instance));
    for (const instance of previous.keys()) if (!present.has(instance)) removed.push(instance);
  }
  return { changed, removed };
}
