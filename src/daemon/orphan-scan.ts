import { readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND } from '../metrics/proc-sample.js';
import { isLive, type ProcStat, readProcTable } from '../process/proc-table.js';

/** A process that leads its own group and carries an instance's TEND_* variables (of some home). */
export interface InstanceLike {
  pid: number;
  ppid: number;
  /** Its TEND_HOME. */
  home: string;
  /** Field 22 of /proc/<pid>/stat. */
  startTime: number;
  /** Epoch ms of its start, from the boot time and `startTime`. */
  startedAt: number;
  /** TEND_NAME: a program's name, or a pool proxy's (`web.proxy`). */
  name: string;
  /** TEND_INSTANCE. */
  instance: number;
  /** The path of each cgroup it is in (`…/tend-<hash>/web.0` inside a tend instance's cgroup). */
  cgroups: string[];
}

/** What one look at /proc found: every process (for parent chains and states), and the instance-like ones. */
export interface HomeProcesses {
  table: ProcStat[];
  instances: InstanceLike[];
}

/**
 * Reads /proc for the processes that look like instance roots: alive (a zombie has ended),
 * leading their own process group (instances are spawned detached), with TEND_HOME, TEND_NAME
 * and TEND_INSTANCE in their environment; only those of `home` have their environment read in
 * full. A process that vanishes mid-read, or that is another user's, is skipped.
 */
export function scanHomeProcesses(home: string): HomeProcesses {
  const table = readProcTable();
  const bootMs = readBootTimeMs();
  const instances: InstanceLike[] = [];
  for (const stat of table) {
    if (stat.pgrp !== stat.pid || !isLive(stat)) continue;
    const env = readEnviron(stat.pid);
    if (env?.get('TEND_HOME') !== home) continue;
    const name = env.get('TEND_NAME');
    const instance = Number(env.get('TEND_INSTANCE'));
    if (!name || !Number.isSafeInteger(instance) || instance < 0) continue;
    instances.push({
      pid: stat.pid,
      ppid: stat.ppid,
      home,
      startTime: stat.startTime,
      startedAt: bootMs + (stat.startTime * 1000) / CLOCK_TICKS_PER_SECOND,
      name,
      instance,
      cgroups: readCgroupPaths(stat.pid),
    });
  }
  return { table, instances };
}

function readEnviron(pid: number): Map<string, string> | undefined {
  try {
    const env = new Map<string, string>();
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const equals = entry.indexOf('=');
      if (equals > 0) env.set(entry.slice(0, equals), entry.slice(equals + 1));
    }
    return env;
  } catch {
    return undefined; // gone meanwhile, or another user's
  }
}

function readCgroupPaths(pid: number): string[] {
  try {
    // <id>:<controllers>:<path>
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .map((line) => line.split(':').slice(2).join(':'))
      .filter((path) => path !== '');
  } catch {
    return [];
  }
}

/** Epoch ms of this boot (`btime` of /proc/stat), or now when it cannot be read. */
function readBootTimeMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((each) => each.startsWith('btime '));
    const seconds = Number(line?.slice('btime '.length));
    if (Number.isSafeInteger(seconds)) return seconds * 1000;
  } catch {
    // no /proc/stat
  }
  return Date.now();
}
