import type { TendEvent } from './events.js';

type EventOf<K extends TendEvent['kind']> = Extract<TendEvent, { kind: K }>;

/** Why a task ended, in words, for `tend events` and the dashboard. */
export const TASK_END_WORDS: Record<EventOf<'task.ended'>['end'], string> = {
  'owner-left': 'its owner left',
  closed: 'closed',
  exited: 'its process exited',
  shutdown: 'its process shut it down',
  freed: 'its process said it is free',
  removed: 'the program was deleted',
};

/** Why a lease ended, in words, for `tend events` and the dashboard. */
export const LEASE_END_WORDS: Record<EventOf<'lease.ended'>['end'], string> = {
  released: 'released',
  expired: 'expired',
  exited: 'its instance exited',
  removed: 'the program was deleted',
};

/** Instances named in a membership sentence; the first event of a pool of 1,000 names them all. */
const LISTED_INSTANCES = 8;

/** What a membership event changed: `instances 0, 2 ready; instance 1 not ready; instance 3 removed`. */
export function describeMembershipChange(event: EventOf<'proxy.membership'>): string {
  const groups: Record<'ready' | 'not ready' | 'draining', number[]> = {
    ready: [],
    'not ready': [],
    draining: [],
  };
  for (const member of event.changed) {
    groups[member.isDraining ? 'draining' : member.isReady ? 'ready' : 'not ready'].push(
      member.instance,
    );
  }
  return [...Object.entries(groups), ['removed', event.removed] as const]
    .filter(([, instances]) => instances.length > 0)
    .map(([state, instances]) => `${listInstances(instances)} ${state}`)
    .join('; ');
}

/** `instance 0`, `instances 0, 2`, `instances 0, 1, … and 992 more`. */
function listInstances(instances: number[]): string {
  const listed = instances.slice(0, LISTED_INSTANCES).join(', ');
  const more = instances.length - LISTED_INSTANCES;
  const noun = instances.length === 1 ? 'instance' : 'instances';
  return more > 0 ? `${noun} ${listed} and ${more} more` : `${noun} ${listed}`;
}
