import { existsSync, mkdirSync, readFileSync, rmdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupKind } from './cgroup-provider.js';
import { type Containment, killIfPresent, pause } from './containment.js';
import { GROUP_GONE_TIMEOUT_MS } from './end-process-group.js';
import { isLive, readProcStat } from './proc-table.js';
import type { SignalName } from './signals.js';

/** Pause between two kill rounds where the kernel has no cgroup.kill and no event for "empty". */
const EMPTY_CHECK_INTERVAL_MS = 2;

/** Where one run's cgroup lives and how to reach it. */
export interface InstanceCgroupOptions {
  dir: string;
  kind: CgroupKind;
  /** The daemon's own cgroup, to go back to after a spawn. */
  daemonDir: string;
  /** Called once the cgroup directory has been removed. */
  onRemoved(): void;
  /** A run that a previous daemon started: what is in the cgroup is the adopted instance, kept. */
  isAdopting?: boolean;
}

/**
 * One run of an instance in its own cgroup. Every process it forks is born in the cgroup and only
 * root can move it out, so setsid or a double fork does not escape; the kernel drops a process
 * from cgroup.procs when it exits, so a zombie is never counted.
 */
export class InstanceCgroup implements Containment {
  readonly #options: InstanceCgroupOptions;
  #pgid = 0;
  #isChildPlaced = false;

  constructor(options: InstanceCgroupOptions) {
    this.#options = options;
    if (existsSync(options.dir)) {
      if (options.isAdopting) return;
      // Left by a daemon that was killed: what still runs in it belongs to an instance of this home.
      this.#killAll();
    } else {
      mkdirSync(options.dir, { recursive: true });
    }
  }

  spawnInside<T>(spawn: () => T): T {
    // A child is born in its parent's cgroup, so the daemon steps into the instance's cgroup for
    // the (synchronous) fork and straight back: the child never runs a single instruction outside.
    try {
      this.#moveIn(process.pid);
      this.#isChildPlaced = true;
    } catch {
      this.#isChildPlaced = false;
    }
    try {
      return spawn();
    } finally {
      if (this.#isChildPlaced) this.#stepOut();
    }
  }

  track(pid: number): void {
    this.#pgid = pid;
    if (this.#isChildPlaced) return;
    // The daemon could not step in (a kernel rule on where processes may live): move the child
    // itself, which leaves a short window in which a fork stays outside.
    try {
      this.#moveIn(pid);
    } catch {
      // It has exited already; its group is still ended by the exit handler.
    }
  }

  signalOutsideGroup(signal: SignalName): void {
    for (const pid of this.#pids()) {
      const stat = readProcStat(pid);
      if (isLive(stat) && stat.pgrp !== this.#pgid) killIfPresent(pid, signal);
    }
  }

  async end(): Promise<void> {
    const deadline = Date.now() + GROUP_GONE_TIMEOUT_MS;
    if (!this.#isPopulated()) {
      // The usual case: the main process was the only member. Nothing to kill and nothing to
      // wait for (no member can join an empty cgroup: only members fork into it).
    } else if (this.#hasKillFile()) {
      this.#killAll();
      await this.#untilEmpty(deadline);
    } else {
      while (this.#isPopulated() && Date.now() < deadline) {
        this.#killAll();
        await pause(EMPTY_CHECK_INTERVAL_MS);
      }
    }
    try {
      rmdirSync(this.#options.dir);
      this.#options.onRemoved();
    } catch {
      // Still populated after the deadline (a process in uninterruptible sleep); a later run of the instance kills it.
    }
  }

  /** Moves the daemon back to its own cgroup. */
  #stepOut(): void {
    writeFileSync(join(this.#options.daemonDir, 'cgroup.procs'), String(process.pid));
  }

  #moveIn(pid: number): void {
    writeFileSync(join(this.#options.dir, 'cgroup.procs'), String(pid));
  }

  #pids(): number[] {
    try {
      return readFileSync(join(this.#options.dir, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map(Number);
    } catch {
      return [];
    }
  }

  #hasKillFile(): boolean {
    return this.#options.kind === 'v2' && existsSync(join(this.#options.dir, 'cgroup.kill'));
  }

  #isPopulated(): boolean {
    if (this.#options.kind !== 'v2') return this.#pids().length > 0;
    try {
      return /^populated 1$/m.test(readFileSync(join(this.#options.dir, 'cgroup.events'), 'utf8'));
    } catch {
      return false;
    }
  }

  /** SIGKILL to every member: one write where the kernel has cgroup.kill, else frozen first so that none forks meanwhile. */
  #killAll(): void {
    // Never with the daemon inside: that happens only if stepping back out after a spawn failed.
    if (this.#pids().includes(process.pid)) this.#stepOut();
    if (this.#hasKillFile()) {
      writeFileSync(join(this.#options.dir, 'cgroup.kill'), '1');
      return;
    }
    const isFrozen = this.#freeze(true);
    try {
      for (const pid of this.#pids()) killIfPresent(pid, 'SIGKILL');
    } finally {
      if (isFrozen) this.#freeze(false);
    }
  }

  /** Freezes or thaws the cgroup where the hierarchy can; says whether it did. */
  #freeze(isFrozen: boolean): boolean {
    const [file, value] =
      this.#options.kind === 'v2'
        ? ['cgroup.freeze', isFrozen ? '1' : '0']
        : this.#options.kind === 'v1-freezer'
          ? ['freezer.state', isFrozen ? 'FROZEN' : 'THAWED']
          : [undefined, undefined];
    if (file === undefined) return false;
    try {
      writeFileSync(join(this.#options.dir, file), value);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves once cgroup.events says the cgroup is empty, woken by the kernel's notification, or at the deadline. */
  #untilEmpty(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const stops: (() => void)[] = [];
      const finish = (): void => {
        for (const stop of stops) stop();
        resolve();
      };
      const check = (): void => {
        if (!this.#isPopulated()) finish();
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      stops.push(() => clearTimeout(timer));
      try {
        const watcher = watch(join(this.#options.dir, 'cgroup.events'), check);
        stops.push(() => watcher.close());
      } catch {
        // No inotify watch left: look instead.
        const poll = setInterval(check, EMPTY_CHECK_INTERVAL_MS);
        stops.push(() => clearInterval(poll));
      }
      check();
    });
  }
}
