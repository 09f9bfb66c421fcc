import { readFileSync } from 'node:fs';
import { readProcStat } from './proc-table.js';

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined
 * when there is no such process. A pid plus its start time names one process even after the pid is reused.
 */
export function readProcessStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
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
