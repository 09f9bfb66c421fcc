import type { EventStreamMessage, TendEvent } from '../../api/wire.js';
import { formatElapsed } from '../../config/human-units.js';
import { describeRecovery } from '../../core/describe-recovery.js';
import {
  describeMembershipChange,
  LEASE_END_WORDS,
  TASK_END_WORDS,
} from '../../core/event-words.js';
import { formatExit, formatTime } from './format.js';
import { colorOfName, colorOfState, type Palette } from './palette.js';

/** One event as `tend events` prints it: time, program:instance, what happened, exit code or signal, reason. */
export function formatEventLine(event: TendEvent, palette: Palette): string {
  const time = palette.dim(formatEventTime(event.time));
  const [source, what] = describeEvent(event, palette);
  const name = source === 'daemon' ? palette.bold(source) : colorOfName(palette, source)(source);
  return `${time} ${name} ${what}\n`;
}

/** A line for a message about the stream itself, or undefined when there is nothing to tell. */
export function describeStreamMessage(message: EventStreamMessage): string | undefined {
  if (message.kind === 'stream.gap') {
    return `events ${message.oldestSeq > 1 ? `before ${message.oldestSeq} ` : ''}were no longer kept; showing from ${message.oldestSeq}`;
  }
  if (message.kind === 'stream.closed')
    return `the daemon closed the event stream: ${message.reason}`;
  return undefined;
}

// No default: a kind added to the event union without its case here fails the build (the
// switch must return on every path).
function describeEvent(event: TendEvent, palette: Palette): [string, string] {
  switch (event.kind) {
    case 'daemon.started':
      return [
        'daemon',
        `started (pid ${event.pid}, version ${event.version})${event.recovery ? `: ${describeRecovery(event.recovery)}` : ''}`,
      ];
    case 'daemon.stopping':
      return ['daemon', 'stopping'];
    case 'daemon.fault':
      return ['daemon', palette.red(event.problem)];
    case 'daemon.fault-cleared':
      return ['daemon', `writes the ${event.area === 'logs' ? 'logs' : 'state file'} again`];
    case 'program.added':
      return [event.program, 'added'];
    case 'program.updated':
      // No field listed: only which variables came from `tend start`'s shell changed.
      return [
        event.program,
        event.changed.length > 0 ? `updated: ${event.changed.join(', ')}` : 'updated',
      ];
    case 'program.removed':
      return [event.program, 'removed'];
    case 'program.desired':
      return [
        event.program,
        event.desired === 'running' ? 'meant to run' : 'meant to stay stopped',
      ];
    case 'program.scaled':
      return [event.program, `scaled ${event.from} → ${event.to}`];
    case 'lease.granted':
      return [
        `${event.program}:${event.instance}`,
        `lease ${event.lease} granted${event.holder === null ? '' : ` to ${event.holder}`}`,
      ];
    case 'lease.ended':
      return [
        `${event.program}:${event.instance}`,
        `lease ${event.lease} ended: ${LEASE_END_WORDS[event.end]}`,
      ];
    case 'task.allocated':
      return [
        `${event.program}:${event.instance}`,
        `task ${event.task} allocated${event.owner === null ? '' : ` to ${event.owner}`} (pid ${event.pid})`,
      ];
    case 'task.connections':
      return [
        `${event.program}:${event.instance}`,
        `task ${event.task}: ${event.connections} connection${event.connections === 1 ? '' : 's'}${event.isOwnerConnected ? ' (owner)' : ''}`,
      ];
    case 'task.ended':
      return [
        `${event.program}:${event.instance}`,
        `task ${event.task} ended: ${TASK_END_WORDS[event.end]}`,
      ];
    case 'program.waiting':
      return [event.program, event.isStuck ? palette.red(event.reason) : event.reason];
    case 'program.unblocked':
      return [
        event.program,
        event.cause === 'stopped' ? 'no longer waits: stopped' : 'dependencies ready: starting',
      ];
    case 'proxy.membership': {
      const change = describeMembershipChange(event);
      return [
        `${event.program}:proxy`,
        `members ${event.readyCount}/${event.size} ready${event.drainingCount > 0 ? `, ${event.drainingCount} draining` : ''}${change === '' ? '' : ` (${change})`}`,
      ];
    }
    case 'program.reload-started':
      return [
        event.program,
        `reload of ${event.instances} started (surge ${event.maxSurge}, unavailable ${event.maxUnavailable}${event.changed.length > 0 ? `; applies ${event.changed.join(', ')}` : ''})`,
      ];
    case 'instance.replaced':
      return [
        sourceOf(event),
        event.previousPid === null
          ? `surge instance ready (pid ${event.pid})`
          : `replaced: pid ${event.previousPid} → ${event.pid}`,
      ];
    case 'program.reload-finished':
      return [
        event.program,
        `reload finished: ${event.replaced} replaced in ${formatElapsed(event.durationMs)}`,
      ];
    case 'program.reload-failed':
      return [
        event.program,
        `${palette.red('reload failed')}: ${event.reason}${event.restored ? ' (that instance serves again with the previous definition)' : ''}`,
      ];
    case 'instance.state': {
      const state = colorOfState(palette, event.state)(event.state);
      return [sourceOf(event), `${event.previous} → ${state}${because(event.reason)}`];
    }
    case 'instance.spawned':
      return [sourceOf(event), `spawned pid ${event.pid}`];
    case 'instance.ready':
      return [sourceOf(event), `ready (pid ${event.pid})`];
    case 'instance.not-ready':
      // The reason begins with its own "not ready: ".
      return [
        sourceOf(event),
        `${palette.yellow('not ready')} (pid ${event.pid})${because(event.reason.replace(/^not ready: /, ''))}`,
      ];
    case 'instance.probe-failed':
      return [
        sourceOf(event),
        `${event.probe} probe failed (pid ${event.pid})${because(event.reason)}`,
      ];
    case 'instance.suspect':
      return [sourceOf(event), `suspect (pid ${event.pid})${because(event.reason)}`];
    case 'instance.exited': {
      const how = formatExit(event.code, event.signal);
      const exited = `exited ${event.isFailure ? palette.red(how) : how} after ${formatElapsed(event.uptimeMs)} (pid ${event.pid})`;
      return [sourceOf(event), `${exited}${because(event.reason)}`];
    }
    case 'instance.restarted':
      return [sourceOf(event), `restarted as pid ${event.pid} (cause: ${event.cause})`];
    case 'instance.status':
      return [sourceOf(event), `status: ${event.text}`];
    case 'instance.errored':
      return [sourceOf(event), `${palette.red('errored')}${because(event.reason)}`];
  }
}

function sourceOf(event: {
  program: string;
  instance: number;
  role: 'instance' | 'proxy';
}): string {
  return event.role === 'proxy' ? `${event.program}:proxy` : `${event.program}:${event.instance}`;
}

function because(reason: string | null): string {
  return reason ? `: ${reason}` : '';
}

/** Local time with milliseconds: events often come in bursts within one second. */
function formatEventTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatTime(iso)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
