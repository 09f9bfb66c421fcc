import { readFileSync } from 'node:fs';

/** Index of `starttime` (field 22 of /proc/<pid>/stat) among the fields after the command name. */
const START_TIME_FIELD_INDEX = 19;

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined
 * when there is no such process. A pid plus its start time names one process even after the pid is reused.
 */
export function readProcessStartTime(pid: number): number | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses, so split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTime = Number(fields[START_TIME_FIELD_INDEX]);
  return Number.isSafeInteger(startTime) ? startTime : undefined;
}

/** Whether `pid` still names the process that had `startTime`, rather than a later one that reused the pid. */
export function isSameProcess(pid: number, startTime: number): boolean {
  return readProcessStartTime(pid) === startTime;
}

/** This boot's id; start times only compare within one boot, so store it next to them. */
export function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}
