import type { ProgramDetail } from '../../api/wire.js';
import type { Palette } from './palette.js';

/** One line per program that waits for its dependencies, under a `tend ls` table: `api: waiting for db (starting)`. */
export function formatWaitingNotes(programs: readonly ProgramDetail[], palette: Palette): string {
  return programs
    .flatMap(({ name, waiting }) => {
      // An older daemon (before `tend update`) does not send the field at all.
      if (!waiting) return [];
      const reason = waiting.isStuck ? palette.red(waiting.reason) : waiting.reason;
      return [`${palette.bold(name)}: ${reason}\n`];
    })
    .join('');
}
