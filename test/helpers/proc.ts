import { readdirSync, readFileSync } from 'node:fs';

/** Whether a pid names a live process (a zombie counts as not alive). */
export function isProcessAlive(pid: number): boolean {
  return procState(pid) !== undefined && procState(pid) !== 'Z';
}

/** The one-letter state of /proc/<pid>/stat (R, S, Z, …), or undefined when there is no such process. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Pids of every process whose process group is `pgid`, read from /proc. */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

/** Pids of the direct children of `ppid`, zombies included. */
export function childrenOf(ppid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
