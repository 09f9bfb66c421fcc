import { EXIT_HISTORY_LIMIT, type ExitRecord, type InstanceStats } from './types.js';

/** Statistics of an instance that has never run. */
export function emptyInstanceStats(): InstanceStats {
  return { restarts: 0, failureRestarts: 0, runs: 0, totalRunMs: 0, exits: [] };
}

/** A copy that shares nothing with `stats`, keeping at most EXIT_HISTORY_LIMIT exits. */
export function copyInstanceStats(stats: InstanceStats): InstanceStats {
  return {
    ...stats,
    exits: stats.exits.slice(-EXIT_HISTORY_LIMIT).map((exit) => ({ ...exit })),
  };
}

/** Counts an ended run in `stats` and appends its record, dropping the oldest beyond EXIT_HISTORY_LIMIT. */
export function recordExit(stats: InstanceStats, record: ExitRecord): void {
  stats.runs += 1;
  stats.totalRunMs += record.uptimeMs;
  stats.exits.push(record);
  if (stats.exits.length > EXIT_HISTORY_LIMIT) {
    stats.exits.splice(0, stats.exits.length - EXIT_HISTORY_LIMIT);
  }
}
