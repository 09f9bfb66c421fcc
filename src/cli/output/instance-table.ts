import type { InstanceDetail, InstanceSummary, ProgramDetail } from '../../api/wire.js';
import { formatElapsed } from '../../config/human-units.js';
import { formatBytes, formatCpu, orDash } from './format.js';
import { colorOfState, type Palette } from './palette.js';
import { formatTable } from './table.js';

/** The fields of `tend ls --json`: an instance without the detail that `tend status` shows. */
export function toInstanceSummary(instance: InstanceDetail | InstanceSummary): InstanceSummary {
  return {
    name: instance.name,
    instance: instance.instance,
    pid: instance.pid,
    status: instance.status,
    restarts: instance.restarts,
    uptimeMs: instance.uptimeMs,
    cpu: instance.cpu,
    memoryBytes: instance.memoryBytes,
    isFrozen: instance.isFrozen,
    notReady: instance.notReady,
  };
}

/**
 * The status as `tend ls` and `tend status` show it: the state, except for a process the
 * kernel reports stopped (`frozen`: it runs no code, whatever tend's state) and an `online`
 * instance whose readiness probe fails (`online, not ready`).
 */
export function displayStatus(
  instance: Pick<InstanceSummary, 'status' | 'isFrozen' | 'notReady'>,
): string {
  if (instance.isFrozen) return 'frozen';
  if (instance.status === 'online' && instance.notReady !== null) return 'online, not ready';
  return instance.status;
}

/** Every instance of every program, in program order. */
export function instancesOf(programs: readonly ProgramDetail[]): InstanceSummary[] {
  return programs.flatMap((program) => program.instances.map(toInstanceSummary));
}

/** The `tend ls` table: one row per instance. */
export function formatInstanceTable(rows: readonly InstanceSummary[], palette: Palette): string {
  return formatTable(
    [
      { header: 'NAME' },
      { header: 'ID', align: 'right' },
      { header: 'PID', align: 'right' },
      { header: 'STATUS' },
      { header: 'RESTARTS', align: 'right' },
      { header: 'UPTIME', align: 'right' },
      { header: 'CPU', align: 'right' },
      { header: 'MEMORY', align: 'right' },
    ],
    rows.map((row) => [
      palette.bold(row.name),
      String(row.instance),
      orDash(row.pid, String),
      colorOfDisplay(palette, row),
      String(row.restarts),
      orDash(row.uptimeMs, formatElapsed),
      orDash(row.cpu, formatCpu),
      orDash(row.memoryBytes, formatBytes),
    ]),
    { styleHeader: palette.dim },
  );
}

/** The status, coloured: a frozen or not-ready instance is a warning, not a healthy `online`. */
export function colorOfDisplay(
  palette: Palette,
  instance: Pick<InstanceSummary, 'status' | 'isFrozen' | 'notReady'>,
): string {
  const text = displayStatus(instance);
  return text === instance.status
    ? colorOfState(palette, instance.status)(text)
    : palette.yellow(text);
}
