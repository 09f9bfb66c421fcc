import type { ProgramActionResult } from '../../api/wire.js';
import { plural } from './format.js';

/** What a start or stop did to each program, one line each: `Started web`, `web was already running`, or both by instance. */
export function describeEffects(
  programs: readonly ProgramActionResult[],
  action: 'start' | 'stop',
): string {
  const done = action === 'start' ? 'Started' : 'Stopped';
  const already = action === 'start' ? 'running' : 'stopped';
  return programs
    .map((program) => {
      const { changed, unchanged } = program.effect;
      const size = program.instances.length;
      if (changed.length === 0) {
        const pids = program.instances.flatMap((instance) =>
          instance.pid === null ? [] : [instance.pid],
        );
        const detail = action === 'start' && pids.length > 0 ? ` (pid ${pids.join(', ')})` : '';
        return `${program.name} was already ${already}${detail}\n`;
      }
      if (unchanged.length === 0) {
        return action === 'stop'
          ? `${done} ${program.name} (${plural(size, 'instance')})\n`
          : `${done} ${program.name}\n`;
      }
      const list = (indexes: number[]) =>
        indexes.map((index) => `${program.name}[${index}]`).join(', ');
      const verb = unchanged.length === 1 ? 'was' : 'were';
      return `${done} ${list(changed)}; ${list(unchanged)} ${verb} already ${already}\n`;
    })
    .join('');
}
