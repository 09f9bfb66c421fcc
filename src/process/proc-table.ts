import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat that tend reads. */
export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, T, Z (zombie: dead, not yet reaped), … */
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot; with the pid, it names one process even after the pid is reused. */
  startTime: number;
  /**
   * Field 52, the raw wait status of a zombie as its parent would read it (0 while it runs, and
   * for a process of another user); undefined on kernels before 3.5.
   */
  exitCode?: number;
}

/** Index of each field among those after the command name (field 3, `state`, is index 0). */
const STATE_INDEX = 0;
const PPID_INDEX = 1;
const PGRP_INDEX = 2;
const START_TIME_INDEX = 19;
const EXIT_CODE_INDEX = 49;

/** Parses the text of /proc/<pid>/stat, or undefined when it is not one. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  // The command name (field 2) may hold spaces and parentheses, so split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[STATE_INDEX];
  const ppid = Number(fields[PPID_INDEX]);
  const pgrp = Number(fields[PGRP_INDEX]);
  const startTime = Number(fields[START_TIME_INDEX]);
  if (!state || ![ppid, pgrp, startTime].every(Number.isSafeInteger)) return undefined;
  const exitCode = Number(fields[EXIT_CODE_INDEX]);
  const stat: ProcStat = { pid, state, ppid, pgrp, startTime };
  if (fields[EXIT_CODE_INDEX] !== undefined && Number.isSafeInteger(exitCode)) {
    stat.exitCode = exitCode;
  }
  return stat;
}

/** /proc/<pid>/stat of one process, or undefined when there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether a stat names a process that still runs: a zombie has ended and only waits to be reaped. */
export function isLive(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Every process of the machine, read from /proc (the kernel here has no /proc/<pid>/task/<tid>/children). */
export function readProcTable(): ProcStat[] {
  const table: ProcStat[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) > 57 || !/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat) table.push(stat);
  }
  return table;
}

/** Whether any process of group `pgid` still runs; zombies do not count (PID 1 may reap them seconds later). */
export function hasLiveGroupMember(pgid: number): boolean {
  return readProcTable().some((stat) => stat.pgrp === pgid && isLive(stat));
}
