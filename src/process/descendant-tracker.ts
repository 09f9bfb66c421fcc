import { formatDuration } from '../config/human-units.js';
import type { Containment, ContainmentProvider } from './containment.js';
import { killIfPresent, pause } from './containment.js';
import { GROUP_GONE_TIMEOUT_MS } from './end-process-group.js';
import { isLive, type ProcStat, readProcStat, readProcTable } from './proc-table.js';
import type { SignalName } from './signals.js';

/** How often the /proc path looks for new descendants of every running instance. */
export const DESCENDANT_SCAN_INTERVAL_MS = 1_000;

/** Pause between two looks at descendants that were killed but still run. */
const GONE_CHECK_INTERVAL_MS = 2;

/**
 * The fallback when no cgroup can be used: each instance remembers every descendant it has seen
 * (pid and start time), by a walk of /proc at every scan, before every group signal and at exit,
 * so that a process that called setsid and was reparented to PID 1 is still known as part of it.
 * It misses a process that forks, and whose parent exits, between two walks (a double fork).
 */
export class ProcWalkProvider implements ContainmentProvider {
  readonly description: string;
  readonly #trackers = new Set<DescendantTracker>();
  readonly #scanIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(why: string, scanIntervalMs = DESCENDANT_SCAN_INTERVAL_MS) {
    this.#scanIntervalMs = scanIntervalMs;
    this.description = `a walk of /proc for descendants every ${formatDuration(scanIntervalMs)} (${why})`;
  }

  create(): Containment {
    return new DescendantTracker({
      follow: (tracker) => this.#follow(tracker),
      forget: (tracker) => this.#forget(tracker),
    });
  }

  adopt(): Containment {
    return this.create();
  }

  #follow(tracker: DescendantTracker): void {
    this.#trackers.add(tracker);
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      const table = readProcTable();
      for (const each of this.#trackers) each.update(table);
    }, this.#scanIntervalMs);
    // Watching is not work of its own: it must not keep a daemon alive that has nothing else to do.
    this.#timer.unref();
  }

  #forget(tracker: DescendantTracker): void {
    this.#trackers.delete(tracker);
    if (this.#trackers.size > 0 || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

interface TrackerHost {
  follow(tracker: DescendantTracker): void;
  forget(tracker: DescendantTracker): void;
}

/** The descendants of one run, as far as walks of /proc have seen them. */
export class DescendantTracker implements Containment {
  readonly #host: TrackerHost;
  #pgid = 0;
  /** Every member seen and still alive at the last walk: pid → start time. */
  #known = new Map<number, number>();

  constructor(host: TrackerHost) {
    this.#host = host;
  }

  spawnInside<T>(spawn: () => T): T {
    return spawn();
  }

  track(pid: number): void {
    this.#pgid = pid;
    const stat = readProcStat(pid);
    if (stat) this.#known.set(pid, stat.startTime);
    this.#host.follow(this);
  }

  /** Records the live members in `table`: the known ones, the group, and all their descendants. */
  update(table: readonly ProcStat[]): ProcStat[] {
    const byPid = new Map<number, ProcStat>();
    const childrenOf = new Map<number, ProcStat[]>();
    for (const stat of table) {
      byPid.set(stat.pid, stat);
      const siblings = childrenOf.get(stat.ppid);
      if (siblings) siblings.push(stat);
      else childrenOf.set(stat.ppid, [stat]);
    }
    const members = new Map<number, ProcStat>();
    const queue: ProcStat[] = [];
    const add = (stat: ProcStat | undefined): void => {
      if (!isLive(stat) || members.has(stat.pid)) return;
      members.set(stat.pid, stat);
      queue.push(stat);
    };
    for (const [pid, startTime] of this.#known) {
      const stat = byPid.get(pid);
      if (stat?.startTime === startTime) add(stat);
    }
    // A pid is never reused while a group of that id exists, so every member of the group is ours.
    // Before `track` there is no group: pgrp 0 is that of kernel threads and of PID 1's own children.
    if (this.#pgid > 1) for (const stat of table) if (stat.pgrp === this.#pgid) add(stat);
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const child of childrenOf.get(next.pid) ?? []) add(child);
    }
    this.#known = new Map([...members.values()].map((stat) => [stat.pid, stat.startTime]));
    return [...members.values()];
  }

  signalOutsideGroup(signal: SignalName): void {
    for (const member of this.update(readProcTable())) {
      if (member.pgrp !== this.#pgid) killIfPresent(member.pid, signal);
    }
  }

  async end(): Promise<void> {
    this.#host.forget(this);
    if (this.#pgid <= 1) return; // the spawn failed: nothing was started
    const deadline = Date.now() + GROUP_GONE_TIMEOUT_MS;
    for (;;) {
      const live = this.update(readProcTable());
      if (live.length === 0 || Date.now() >= deadline) return;
      for (const member of live) killIfPresent(member.pid, 'SIGKILL');
      await pause(GONE_CHECK_INTERVAL_MS);
    }
  }
}
