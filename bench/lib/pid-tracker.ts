import { killQuietly } from './exec.js';
import { readProc } from './probes.js';

/**
 * Remembers processes a manager started for us, with their command lines, so that anything
 * left after the manager shut down is killed by pid, and a reused pid is never hit.
 */
export class PidTracker {
  readonly #cmdlines = new Map<number, string>();

  /** Remembers a pid with its current command line (ignored when already gone). */
  track(pid: number | null | undefined): void {
    if (!pid || this.#cmdlines.has(pid)) return;
    const info = readProc(pid);
    if (info && info.state !== 'Z') this.#cmdlines.set(pid, info.cmdline);
  }

  /** Kills (SIGKILL) every remembered process that still runs the same command; returns their pids. */
  killSurvivors(): number[] {
    const killed: number[] = [];
    for (const [pid, cmdline] of this.#cmdlines) {
      const info = readProc(pid);
      if (info && info.state !== 'Z' && info.cmdline === cmdline && killQuietly(pid, 'SIGKILL')) {
        killed.push(pid);
      }
    }
    this.#cmdlines.clear();
    return killed;
  }
}
