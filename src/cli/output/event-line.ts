import type { EventStreamMessage, TendEvent } from '../../api/wire.js';
import { describeRecovery } from '../../core/describe-recovery.js';
import { formatDuration, formatExit, formatTime } from './format.js';
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

function describeEvent(event: TendEvent, palette: Palette): [string, string] {
  switch (event.kind) {
    case 'daemon.started':
      return [
        'daemon',
        `started (pid ${event.pid}, version ${event.version})${event.recovery ? `: ${describeRecovery(event.recovery)}` : ''}`,
      ];
    case 'daemon.stopping':
      return ['daemon', 'stopping'];
    case 'program.added':
      return [event.program, 'added'];
    case 'program.updated':
      return [event.program, 'updated'];
    case 'program.removed':
      return [event.program, 'removed'];
    case 'program.desired':
      return [
        event.program,
        event.desired === 'running' ? 'meant to run' : 'meant to stay stopped',
      ];
    case 'program.scaled':
      return [event.program, `scaled ${event.from} → ${event.to}`];
    case 'proxy.membership': {
      const ready = event.members
        .filter((member) => member.isReady)
        .map((member) => member.instance);
      return [
        `${event.program}:proxy`,
        `members ${ready.length}/${event.members.length} ready${ready.length > 0 ? ` (${ready.join(', ')})` : ''}`,
      ];
    }
    case 'instance.state': {
      const state = colorOfState(palette, event.state)(event.state);
      return [sourceOf(event), `${event.previous} → ${state}${because(event.reason)}`];
    }
    case 'instance.spawned':
      return [sourceOf(event), `spawned pid ${event.pid}`];
    case 'instance.ready':
      return [sourceOf(event), `ready (pid ${event.pid})`];
    case 'instance.exited': {
      const how = formatExit(event.code, event.signal);
      const exited = `exited ${event.isFailure ? palette.red(how) : how} after ${formatDuration(event.uptimeMs)} (pid ${event.pid})`;
      return [sourceOf(event), `${exited}${because(event.reason)}`];
    }
    case 'instance.restarted':
      return [sourceOf(event), `restarted as pid ${event.pid} (cause: ${event.cause})`];
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
