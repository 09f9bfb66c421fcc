import { parseSignal } from '../process/signals.js';

/** The environment variables through which the watcher speaks to the daemon it starts. */
export const WATCHER_ENV = 'TEND_WATCHER';
export const WATCHER_RESTART_ENV = 'TEND_WATCHER_RESTART';

/** Why the watcher started this daemon again, as it saw the previous one end. */
export interface WatcherRestart {
  after: 'crash' | 'reload';
  endedAt: string | null;
  how: string | null;
  crashesInARow: number;
}

/** What the watcher told this daemon: whether one watches it, and why it was started again. */
export interface WatcherReport {
  isWatched: boolean;
  restart: WatcherRestart | null;
}

/**
 * Reads (and removes, so that managed programs do not inherit them) the variables the watcher
 * sets: `TEND_WATCHER=<pid>` when a watcher is this daemon's parent, and
 * `TEND_WATCHER_RESTART="<crash|reload> <epoch seconds> <wait status> <crashes in a row>"`.
 */
export function takeWatcherReport(env: NodeJS.ProcessEnv = process.env): WatcherReport {
  const watcher = env[WATCHER_ENV];
  const restart = env[WATCHER_RESTART_ENV];
  delete env[WATCHER_ENV];
  delete env[WATCHER_RESTART_ENV];
  return {
    isWatched: watcher !== undefined && /^\d+$/.test(watcher),
    restart: restart === undefined ? null : parseRestart(restart),
  };
}

function parseRestart(text: string): WatcherRestart | null {
  const match = /^(crash|reload) (\d+) (\d+) (\d+)$/.exec(text.trim());
  if (!match) return null;
  const [, after, seconds, status, count] = match;
  return {
    after: after as 'crash' | 'reload',
    endedAt: new Date(Number(seconds) * 1000).toISOString(),
    how: describeStatus(Number(status)),
    crashesInARow: Number(count),
  };
}

/** A shell's `$?` in words: above 128 it is 128 + the signal that killed the process. */
function describeStatus(status: number): string {
  if (status > 128) {
    const signal = parseSignal(status - 128);
    if (signal !== undefined) return `killed by ${signal}`;
  }
  return `exited with code ${status}`;
}
