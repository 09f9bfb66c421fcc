import type { DaemonRecovery } from './events.js';

/** A daemon's take-over in words, for its log, `tend status` and `tend events`. */
export function describeRecovery(recovery: DaemonRecovery): string {
  const kept = `${recovery.adopted} ${recovery.adopted === 1 ? 'process' : 'processes'} adopted (same pids), ${recovery.gone} had ended meanwhile`;
  if (recovery.after === 'reload') return `took over from the previous daemon (reload); ${kept}`;
  const when = recovery.endedAt === null ? '' : ` at ${recovery.endedAt}`;
  const how = recovery.how === null ? '' : ` (${recovery.how})`;
  const loop =
    recovery.crashesInARow > 1
      ? `; ${recovery.crashesInARow} crashes in a row, restarts paced`
      : '';
  return `the daemon restarted after a crash${when}${how}${loop}; ${kept}`;
}
