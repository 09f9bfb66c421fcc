import type { TaskReply } from '../../api/wire.js';
import { formatElapsed } from '../../config/human-units.js';
import type { Palette } from './palette.js';
import { formatTable } from './table.js';

/** The live tasks, one row each: program and instance, id, owner, age, connections (owner's marked). */
export function formatTaskTable(
  tasks: readonly TaskReply[],
  palette: Palette,
  options: { indent?: number } = {},
): string {
  return formatTable(
    [
      { header: 'NAME' },
      { header: 'ID', align: 'right' },
      { header: 'TASK' },
      { header: 'OWNER' },
      { header: 'AGE', align: 'right' },
      { header: 'CONNECTIONS', align: 'right' },
    ],
    tasks.map((task) => [
      palette.bold(task.program),
      String(task.instance),
      task.id,
      task.owner ?? '-',
      formatElapsed(task.ageMs),
      `${task.connections}${task.isOwnerConnected ? ' (owner)' : ''}`,
    ]),
    {
      styleHeader: palette.dim,
      ...(options.indent === undefined ? {} : { indent: options.indent }),
    },
  );
}
