import { formatDuration } from '../../config/human-units.js';
import { instancePort } from '../../config/instance-port.js';
import { startDeadlineMs } from '../../supervisor/readiness.js';
import type { ExpectedStart } from '../start-watch.js';
import { stderrLine } from './stderr-line.js';

/** How many instances the note names before it says how many more there are. */
const NAMED = 3;

/**
 * The note `tend start` (and restart, apply) prints when a start takes a while: which instances are not ready yet, what
 * they must do to be, and how long it waits; a port that never listens is otherwise 30 s of silence.
 */
export function formatSlowStart(
  notReady: readonly ExpectedStart[],
  timeoutSetting = '--start-timeout',
): string {
  const first = notReady[0];
  if (first === undefined) return '';
  const names = notReady.slice(0, NAMED).map((start) => `${start.name}[${start.instance}]`);
  const more = notReady.length > NAMED ? ` and ${notReady.length - NAMED} more` : '';
  const spec = first.spec;
  const ports = notReady
    .slice(0, NAMED)
    .map((start) => instancePort(start.spec, start.instance))
    .filter((port) => port !== null);
  const what =
    spec.startupProbe !== undefined || spec.readinessProbe !== undefined
      ? 'to pass its startup or readiness probe'
      : spec.readiness === 'notify'
        ? 'to send READY=1 (`tend notify --ready`)'
        : ports.length > 0
          ? `to listen on ${ports.length > 1 ? 'ports' : 'port'} ${ports.join(', ')}${more ? ', …' : ''}`
          : 'to be ready';
  return stderrLine(
    `waiting for ${names.join(', ')}${more} ${what}, up to ${formatDuration(startDeadlineMs(spec))} (${timeoutSetting}); ` +
      'Ctrl-C stops the wait, not the program; --no-wait does not wait',
  );
}
