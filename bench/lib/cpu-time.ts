import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** One process's CPU figures from /proc/<pid>/stat, in ms. */
interface ProcCpu {
  pid: number;
  ppid: number;
  cmdline: string;
  /** utime + stime: the process's own CPU. */
  selfMs: number;
  /** cutime + cstime: CPU of the children it has reaped (waited for). */
  reapedMs: number;
}

/** Every process's CPU, and the machine's busy time, at one moment. */
export interface CpuSnapshot {
  at: number;
  processes: Map<number, ProcCpu>;
  /** Busy (non-idle, non-iowait) CPU time of the whole machine, all cores, in ms. */
  machineBusyMs: number;
}

/** A group of processes whose CPU a report shows on one line. */
export interface CpuRole {
  label: string;
  /** Whether a process (by its pid, parent and argv) belongs to the role. */
  isMember(process: { pid: number; ppid: number; cmdline: string }): boolean;
  /**
   * Processes whose reaped children belong to the role: a child that exits during the run
   * is gone from /proc by the end, and its CPU is found in its parent's cutime/cstime.
   */
  reaperPids?: readonly number[];
}

/** Clock ticks per second of /proc's CPU and start-time fields (getconf CLK_TCK, 100 when unknown). */
export const CLOCK_TICKS_PER_S = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Reads the CPU of every process and of the machine. */
export function snapshotCpu(): CpuSnapshot {
  const processes = new Map<number, ProcCpu>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcCpu(Number(entry));
    if (info) processes.set(info.pid, info);
  }
  return { at: performance.now(), processes, ...readMachineCpu() };
}

/** CPU ms each role used between two snapshots, plus `machine` (all cores, everything) and `wall`. */
export function cpuBetween(
  before: CpuSnapshot,
  after: CpuSnapshot,
  roles: readonly CpuRole[],
): Map<string, number> {
  const used = new Map<string, number>();
  for (const role of roles) {
    let ms = 0;
    for (const info of after.processes.values()) if (role.isMember(info)) ms += info.selfMs;
    for (const info of before.processes.values()) if (role.isMember(info)) ms -= info.selfMs;
    for (const pid of role.reaperPids ?? []) {
      ms += (after.processes.get(pid)?.reapedMs ?? 0) - (before.processes.get(pid)?.reapedMs ?? 0);
    }
    used.set(role.label, ms);
  }
  used.set('machine', after.machineBusyMs - before.machineBusyMs);
  used.set('wall', after.at - before.at);
  return used;
}

/** One process's own CPU (utime + stime) in ms, or NaN when it is gone. */
export function processCpuMs(pid: number): number {
  return readProcCpu(pid)?.selfMs ?? Number.NaN;
}

function readProcCpu(pid: number): ProcCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and is closed by the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = (index: number): number => Number(fields[index] ?? 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    const msPerTick = 1000 / CLOCK_TICKS_PER_S;
    return {
      pid,
      ppid: ticks(1),
      cmdline,
      selfMs: (ticks(11) + ticks(12)) * msPerTick,
      reapedMs: (ticks(13) + ticks(14)) * msPerTick,
    };
  } catch {
    return undefined;
  }
}

/** The first line of /proc/stat: user nice system idle iowait irq softirq steal, in clock ticks. */
function readMachineCpu(): { machineBusyMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, ...values] = line.trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { machineBusyMs: ((total - idle) * 1000) / CLOCK_TICKS_PER_S };
}

/** Columns that follow the roles' in a CPU table. */
export const CPU_TOTAL_HEADERS = ['rest of machine', 'machine'] as const;

/**
 * Table cells for CPU used between snapshots, as % of one core: each role, everything else
 * (other work on the machine, interrupts not charged to a process), and the whole machine.
 * `—` for a role not measured. Accounting is by clock tick, so the rest can come out a few %
 * below zero; it is shown as 0.
 */
export function formatCpuShares(
  used: Map<string, number>,
  roleLabels: readonly string[],
): string[] {
  const wallMs = used.get('wall') ?? Number.NaN;
  const machineMs = used.get('machine') ?? Number.NaN;
  const rolesMs = roleLabels.reduce((sum, label) => sum + (used.get(label) ?? 0), 0);
  const share = (ms: number): string =>
    Number.isFinite(ms) && Number.isFinite(wallMs) && wallMs > 0
      ? `${Math.round((ms / wallMs) * 100)} %`
      : 'n/a';
  return [
    ...roleLabels.map((label) => (used.has(label) ? share(used.get(label) ?? 0) : '—')),
    share(Math.max(0, machineMs - rolesMs)),
    share(machineMs),
  ];
}
