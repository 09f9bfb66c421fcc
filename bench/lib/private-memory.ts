import { readFileSync } from 'node:fs';

/**
 * Memory a process holds for itself alone, in KiB: Private_Clean + Private_Dirty of
 * /proc/<pid>/smaps_rollup, or NaN when it is gone. Unlike RSS it leaves out the pages it shares
 * with other processes (the node binary, shared libraries), which a thousand copies of one program
 * pay for once.
 */
export function readPrivateKib(pid: number): number {
  let rollup: string;
  try {
    rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return Number.NaN;
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(rollup);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]);
  };
  return field('Private_Clean') + field('Private_Dirty');
}

/** MemAvailable of /proc/meminfo, in MiB: what can be allocated now without swapping. */
export function memAvailableMib(): number {
  const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(match?.[1] ?? Number.NaN) / 1024;
}

/** The 1-minute load average of /proc/loadavg. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
