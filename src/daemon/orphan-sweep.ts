import { proxyProgramName } from '../pool/proxy-name.js';
import { isLive, type ProcStat } from '../process/proc-table.js';
import type { PersistedProgram } from '../store/persisted-state.js';
import { emptyInstanceStats } from '../supervisor/instance-stats.js';
import type { SupervisorRuntime } from '../supervisor/types.js';
import type { InstanceLike } from './orphan-scan.js';
import type { ProcessIdentityPort } from './pid-tracker.js';

/** What to do with a process of the home that the state file does not name. */
export interface OrphanDecision {
  pid: number;
  startTime: number;
  startedAt: number;
  /** `web[2]`, or `web.proxy`. */
  what: string;
  program: string;
  /** The instance slot to adopt it into; null for a pool's proxy. */
  instance: number | null;
  action: 'adopt' | 'end';
  /** Why it is ended, for the report. */
  why?: string;
}

/** What the decision reads: the state loaded, and one look at /proc. */
export interface OrphanSweepInput {
  programs: readonly PersistedProgram[];
  /** Whether the state file's pids are of this boot (processes can be adopted at all). */
  canAdopt: boolean;
  table: readonly ProcStat[];
  instances: readonly InstanceLike[];
  /** This daemon's home: a process of another home is not looked at. */
  home: string;
  /** This daemon's pid: it and its ancestors (the watcher) are never touched. */
  self: number;
  /** The home's cgroup directory name (`tend-<hash>`), under which each slot has its cgroup. */
  cgroupName: string;
}

/** A slot's key: `web.0`, and `web.proxy.0` for a pool's proxy (also its cgroup's name). */
const slotKey = (name: string, instance: number) => `${name}.${instance}`;

/**
 * Decides, for each instance-like process of the home that the state file does not name, whether
 * it was started by the previous daemon after its last state write into a slot that the state
 * keeps (adopt it: the slot has no live process of its own, and its program is meant to run) or
 * is left without a manager (end its group). A descendant of a known process (by parent, or by
 * cgroup) is left alone, and so is one that started after its slot's live process did: no
 * daemon spawns into a slot while its process runs, so that is a descendant that left its group
 * and lost its parent.
 */
export function decideOrphans(input: OrphanSweepInput): OrphanDecision[] {
  const byPid = new Map(input.table.map((stat) => [stat.pid, stat]));
  const isSame = (pid: number | null, startTime: number | null) =>
    pid !== null && startTime !== null && byPid.get(pid)?.startTime === startTime;
  /** The live processes the state file names, by slot: those of programs meant to run are kept. */
  const known = new Map<string, { pid: number; startTime: number }>();
  /** Every live process the state file names (the leftovers of stopped programs too: endLeftovers' part). */
  const named = new Set<number>();
  for (const program of input.programs) {
    const note = (slot: string, pid: number | null, startTime: number | null) => {
      if (!input.canAdopt || pid === null || startTime === null || !isSame(pid, startTime)) return;
      named.add(pid);
      if (program.desired === 'running') known.set(slot, { pid, startTime });
    };
    for (const instance of program.instances) {
      note(slotKey(program.spec.name, instance.index), instance.lastPid, instance.lastPidStartTime);
    }
    const proxy = program.proxyProcess;
    if (proxy) note(slotKey(proxyProgramName(program.spec.name), 0), proxy.pid, proxy.startTime);
  }
  const knownPids = new Set([...known.values()].map((each) => each.pid));
  const ancestors = new Set(parentChain(input.self, byPid));
  ancestors.add(input.self);
  const isInKnownCgroup = (process: InstanceLike) =>
    process.cgroups.some((path) =>
      [...known.keys()].some((slot) => path.endsWith(`/${input.cgroupName}/${slot}`)),
    );
  const bySlot = new Map<string, InstanceLike[]>();
  const isCandidate = (process: InstanceLike) => {
    const stat = byPid.get(process.pid);
    // A zombie has ended (PID 1 may reap it seconds later); a group member is not a root.
    return (
      process.home === input.home &&
      isLive(stat) &&
      stat.pgrp === process.pid &&
      stat.startTime === process.startTime &&
      !named.has(process.pid) &&
      !ancestors.has(process.pid)
    );
  };
  const candidates = new Map(
    input.instances.filter(isCandidate).map((process) => [process.pid, process]),
  );
  /** Candidates below another one (by parent): they share its fate, ended with it. */
  const followers: Array<{ process: InstanceLike; top: number }> = [];
  for (const process of candidates.values()) {
    const chain = parentChain(process.ppid, byPid, true);
    // A descendant of a process kept (by parent, or in its slot's cgroup) is part of it.
    if (chain.some((pid) => knownPids.has(pid)) || isInKnownCgroup(process)) continue;
    const top = chain.findLast((pid) => candidates.has(pid));
    if (top !== undefined) {
      followers.push({ process, top });
      continue;
    }
    const key = slotKey(process.name, process.instance);
    bySlot.set(key, [...(bySlot.get(key) ?? []), process]);
  }
  const decisions: OrphanDecision[] = [];
  for (const [key, processes] of bySlot) {
    processes.sort((a, b) => a.startTime - b.startTime);
    const first = processes[0] as InstanceLike;
    const slot = resolveSlot(input.programs, first.name, first.instance);
    const running = known.get(key);
    const decide = (process: InstanceLike, action: 'adopt' | 'end', why?: string) =>
      decisions.push(decisionFor(process, slot, action, why));
    if (running) {
      // Those that started after the slot's process are its descendants; those before, strays.
      for (const process of processes) {
        if (process.startTime < running.startTime) {
          decide(process, 'end', `its slot runs pid ${running.pid}`);
        }
      }
      continue;
    }
    const why = input.canAdopt ? slot.unadoptable : 'the state file is not of this boot';
    if (why === undefined) decide(first, 'adopt');
    else for (const process of processes) decide(process, 'end', why);
  }
  const ended = new Set(decisions.filter((each) => each.action === 'end').map((each) => each.pid));
  for (const { process, top } of followers) {
    if (!ended.has(top)) continue;
    const slot = resolveSlot(input.programs, process.name, process.instance);
    decisions.push(decisionFor(process, slot, 'end', `a descendant of pid ${top}, ended with it`));
  }
  return decisions;
}

/** The slot a process names, and why it cannot be adopted into it (undefined when it can). */
function resolveSlot(
  programs: readonly PersistedProgram[],
  name: string,
  instance: number,
): { what: string; program: string; instance: number | null; unadoptable?: string } {
  const pool = programs.find((each) => proxyProgramName(each.spec.name) === name);
  if (pool) {
    const what = name;
    if (pool.desired !== 'running')
      return {
        what,
        program: pool.spec.name,
        instance: null,
        unadoptable: `${pool.spec.name} is meant to stay stopped`,
      };
    if (!pool.spec.proxy || instance !== 0)
      return {
        what,
        program: pool.spec.name,
        instance: null,
        unadoptable: `${pool.spec.name} has no such proxy`,
      };
    return { what, program: pool.spec.name, instance: null };
  }
  const what = `${name}[${instance}]`;
  const program = programs.find((each) => each.spec.name === name);
  if (!program)
    return { what, program: name, instance, unadoptable: `no program named ${name} is managed` };
  if (program.desired !== 'running')
    return { what, program: name, instance, unadoptable: `${name} is meant to stay stopped` };
  if (instance >= program.spec.instances) {
    return {
      what,
      program: name,
      instance,
      unadoptable: `${name} has ${program.spec.instances} instance(s)`,
    };
  }
  if (program.spec.tasks) {
    return {
      what,
      program: name,
      instance,
      unadoptable: "a task program's instance is not taken back without its task",
    };
  }
  return { what, program: name, instance };
}

/** The pids from `pid` up through its parents (excluding PID 1 and 0), bounded against a loop. */
function parentChain(
  pid: number,
  byPid: ReadonlyMap<number, ProcStat>,
  includeFirst = false,
): number[] {
  const chain: number[] = [];
  let current = includeFirst ? pid : byPid.get(pid)?.ppid;
  while (current !== undefined && current > 1 && chain.length < 1024) {
    chain.push(current);
    current = byPid.get(current)?.ppid;
  }
  return chain;
}

/**
 * Applies the decisions before the restore: an adopted process becomes its slot's recorded
 * process in `programs` (so that the restore adopts it as any other), and an ended one has its
 * group killed, by pid, after checking that the pid still names it. Each is said through `report`.
 */
export function settleOrphans(
  programs: PersistedProgram[],
  decisions: readonly OrphanDecision[],
  identity: ProcessIdentityPort,
  runtime: Pick<SupervisorRuntime, 'signal'>,
  report: (message: string) => void,
): void {
  for (const decision of decisions) {
    const intro = `${decision.what}: pid ${decision.pid} was started by the previous daemon after its last state write`;
    if (decision.action === 'adopt') {
      adoptInto(programs, decision);
      report(`${intro}; adopted`);
      continue;
    }
    if (identity.startTime(decision.pid) !== decision.startTime) continue;
    runtime.signal(decision.pid, 'SIGKILL', 'group');
    report(`${intro}; ended (${decision.why})`);
  }
}

function adoptInto(programs: PersistedProgram[], decision: OrphanDecision): void {
  const program = programs.find((each) => each.spec.name === decision.program);
  if (!program) return;
  const recorded = {
    pid: decision.pid,
    startTime: decision.startTime,
    startedAt: Math.round(decision.startedAt),
  };
  if (decision.instance === null) {
    program.proxyProcess = recorded;
    return;
  }
  const fields = {
    lastPid: recorded.pid,
    lastPidStartTime: recorded.startTime,
    lastPidStartedAt: recorded.startedAt,
  };
  const instance = program.instances.find((each) => each.index === decision.instance);
  if (instance) Object.assign(instance, fields);
  else {
    program.instances.push({
      index: decision.instance,
      stats: emptyInstanceStats(),
      ...fields,
    });
  }
}

/** The decision for one process of a slot. */
function decisionFor(
  process: InstanceLike,
  slot: { what: string; program: string; instance: number | null },
  action: OrphanDecision['action'],
  why: string | undefined,
): OrphanDecision {
  return {
    pid: process.pid,
    startTime: process.startTime,
    startedAt: process.startedAt,
    what: slot.what,
    program: slot.program,
    instance: slot.instance,
    action,
    ...(why === undefined ? {} : { why }),
  };
}
