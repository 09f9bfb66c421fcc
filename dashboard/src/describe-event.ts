import { formatElapsed, formatExit } from './format.js';
import type { TendEvent } from './wire.js';

/** Who an event is about: `web`, `web:1`, `web:proxy`, or `daemon`. */
export function eventSubject(event: TendEvent): string {
  if (!('program' in event)) return 'daemon';
  if (!('instance' in event)) return event.program;
  return 'role' in event && event.role === 'proxy'
    ? `${event.program}:proxy`
    : `${event.program}:${event.instance}`;
}

/** What happened, in a few words, as `tend events` prints it. */
export function describeEvent(event: TendEvent): string {
  switch (event.kind) {
    case 'daemon.started':
      return `daemon started (pid ${event.pid}, ${event.version})`;
    case 'daemon.stopping':
      return 'daemon stopping';
    case 'daemon.fault':
      return `daemon: ${event.problem}`;
    case 'daemon.fault-cleared':
      return `daemon writes the ${event.area === 'logs' ? 'logs' : 'state file'} again`;
    case 'program.added':
      return 'added';
    case 'program.updated':
      return 'definition changed';
    case 'program.removed':
      return 'deleted';
    case 'program.scaled':
      return `scaled from ${event.from} to ${event.to}`;
    case 'program.waiting':
      return event.reason;
    case 'program.unblocked':
      return event.cause === 'stopped' ? 'stopped waiting' : 'dependencies ready, starting';
    case 'instance.state':
      return `${event.previous} → ${event.state}${event.reason ? ` (${event.reason})` : ''}`;
    case 'instance.spawned':
      return `spawned, pid ${event.pid}`;
    case 'instance.ready':
      return `ready, pid ${event.pid}`;
    case 'instance.not-ready':
      return `${event.reason}, pid ${event.pid}`;
    case 'instance.probe-failed':
      return `${event.probe} probe failed: ${event.reason}`;
    case 'instance.suspect':
      return `suspect: ${event.reason}`;
    case 'instance.exited':
      return `exited ${formatExit(event.code, event.signal)} after ${formatElapsed(event.uptimeMs)}${event.reason ? ` (${event.reason})` : ''}`;
    case 'instance.restarted':
      return `restarted (${event.cause}), pid ${event.pid}`;
    case 'instance.errored':
      return `errored: ${event.reason}`;
    case 'lease.granted':
      return `leased as ${event.lease}${event.holder === null ? '' : ` to ${event.holder}`}`;
    case 'lease.ended':
      return `lease ${event.lease} ${event.end}`;
    case 'proxy.membership':
      return `proxy members: ${event.members.filter((member) => member.isReady).length} of ${event.members.length} ready`;
    case 'program.reload-started':
      return `reload of ${event.instances} started`;
    case 'instance.replaced':
      return event.previousPid === null
        ? `surge instance ready, pid ${event.pid}`
        : `replaced: pid ${event.previousPid} → ${event.pid}`;
    case 'program.reload-finished':
      return `reload finished: ${event.replaced} replaced in ${formatElapsed(event.durationMs)}`;
    case 'program.reload-failed':
      return `reload failed: ${event.reason}`;
    default:
      return (event as { kind: string }).kind;
  }
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
