import {
  describeMembershipChange,
  LEASE_END_WORDS,
  TASK_END_WORDS,
} from '../../src/core/event-words.js';
import { formatElapsed, formatExit } from './format.js';
import type { TendEvent, TendEventKind } from './wire.js';

/** Who an event is about: `web`, `web:1`, `web:proxy`, or `daemon`. */
export function eventSubject(event: TendEvent): string {
  if (!('program' in event)) return 'daemon';
  if (!('instance' in event)) return event.program;
  return 'role' in event && event.role === 'proxy'
    ? `${event.program}:proxy`
    : `${event.program}:${event.instance}`;
}

type EventOf<K extends TendEventKind> = Extract<TendEvent, { kind: K }>;

// One sentence per kind: a kind added to the event union without its sentence fails the build.
const SENTENCES: { [K in TendEventKind]: (event: EventOf<K>) => string } = {
  'daemon.started': (event) =>
    `started (pid ${event.pid}, ${event.version})${
      event.recovery === undefined
        ? ''
        : `, took over after a ${event.recovery.after}: ${event.recovery.adopted} adopted, ${event.recovery.gone} had ended`
    }`,
  'daemon.stopping': () => 'stopping',
  'daemon.fault': (event) => event.problem,
  'daemon.fault-cleared': (event) =>
    `writes the ${event.area === 'logs' ? 'logs' : 'state file'} again`,
  'program.added': () => 'added',
  'program.updated': (event) =>
    `definition changed${event.changed.length > 0 ? `: ${event.changed.join(', ')}` : ''}`,
  'program.removed': () => 'deleted',
  'program.desired': (event) =>
    event.desired === 'running' ? 'meant to run' : 'meant to stay stopped',
  'program.scaled': (event) => `scaled from ${event.from} to ${event.to}`,
  'program.waiting': (event) => event.reason,
  'program.unblocked': (event) =>
    event.cause === 'stopped' ? 'stopped waiting' : 'dependencies ready, starting',
  'instance.state': (event) =>
    `${event.previous} → ${event.state}${event.reason ? ` (${event.reason})` : ''}`,
  'instance.spawned': (event) => `spawned, pid ${event.pid}`,
  'instance.ready': (event) => `ready, pid ${event.pid}`,
  'instance.not-ready': (event) => `${event.reason}, pid ${event.pid}`,
  'instance.probe-failed': (event) => `${event.probe} probe failed: ${event.reason}`,
  'instance.suspect': (event) => `suspect: ${event.reason}`,
  'instance.exited': (event) =>
    `exited ${formatExit(event.code, event.signal)} after ${formatElapsed(event.uptimeMs)}${event.reason ? ` (${event.reason})` : ''}`,
  'instance.restarted': (event) => `restarted (${event.cause}), pid ${event.pid}`,
  'instance.status': (event) => `status: ${event.text}`,
  'instance.errored': (event) => `errored: ${event.reason}`,
  'lease.granted': (event) =>
    `lease ${event.lease} granted${event.holder === null ? '' : ` to ${event.holder}`}`,
  'lease.ended': (event) => `lease ${event.lease} ended: ${LEASE_END_WORDS[event.end]}`,
  'task.allocated': (event) =>
    `task ${event.task} allocated${event.owner === null ? '' : ` to ${event.owner}`}, pid ${event.pid}`,
  'task.connections': (event) =>
    `task ${event.task}: ${event.connections} connection${event.connections === 1 ? '' : 's'}${event.isOwnerConnected ? ' (owner)' : ''}`,
  'task.ended': (event) => `task ${event.task} ended: ${TASK_END_WORDS[event.end]}`,
  'proxy.membership': (event) => {
    const change = describeMembershipChange(event);
    return `proxy members: ${event.readyCount} of ${event.size} ready${event.drainingCount > 0 ? `, ${event.drainingCount} draining` : ''}${change === '' ? '' : ` (${change})`}`;
  },
  'program.reload-started': (event) => `reload of ${event.instances} started`,
  'instance.replaced': (event) =>
    event.previousPid === null
      ? `surge instance ready, pid ${event.pid}`
      : `replaced: pid ${event.previousPid} → ${event.pid}`,
  'program.reload-finished': (event) =>
    `reload finished: ${event.replaced} replaced in ${formatElapsed(event.durationMs)}`,
  'program.reload-failed': (event) => `reload failed: ${event.reason}`,
};

/** What happened, in a few words, as `tend events` prints it. */
export function describeEvent(event: TendEvent): string {
  // The table pairs each kind with its own event type; TypeScript cannot follow that through the lookup.
  const sentence = SENTENCES[event.kind] as (event: TendEvent) => string;
  return sentence(event);
}

/** Whether an event is bad news (shown in red). */
export function isBadEvent(event: TendEvent): boolean {
  return (
    event.kind === 'instance.errored' ||
    event.kind === 'instance.not-ready' ||
    event.kind === 'program.reload-failed' ||
    (event.kind === 'instance.exited' && event.isFailure) ||
    (event.kind === 'program.waiting' && event.isStuck)
  );
}
