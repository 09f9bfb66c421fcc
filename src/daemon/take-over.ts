import { setTimeout as delay } from 'node:timers/promises';
import { ApiClient } from '../api/client.js';
import { isLive, readProcStat } from '../process/proc-table.js';

/** Set by the daemon that is replaced (or its watcher): the pid of the daemon to take over from. */
export const TAKE_OVER_ENV = 'TEND_TAKE_OVER';

/** Longest wait for the old daemon to hand over and exit. */
const TAKE_OVER_TIMEOUT_MS = 10_000;
/** Pause between two looks at the old daemon (it is not our child: no event says it exited). */
const EXIT_CHECK_INTERVAL_MS = 5;

/** The pid in TEND_TAKE_OVER, removed from the environment so that managed programs do not inherit it. */
export function takeOverTarget(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[TAKE_OVER_ENV];
  delete env[TAKE_OVER_ENV];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/**
 * Asks the running daemon `pid` to hand over to this one. When it answers, it has saved the state
 * with every pid, written what the FIFOs held to the logs, stopped reading, and written this
 * daemon's pid in the pid file; it goes on answering reads until this daemon's socket replaces
 * its own. This daemon has loaded all its code by then, so the API is never away for Node's
 * start-up. An old daemon that is gone, or does not answer, is waited out: then the lock is free.
 */
export async function takeOver(socketPath: string, pid: number): Promise<void> {
  if (!isLive(readProcStat(pid))) return;
  const isHandedOver = await new ApiClient({ socketPath })
    .request('POST', '/v1/daemon/hand-over', { pid: process.pid })
    .then(
      () => true,
      () => false,
    );
  if (isHandedOver) return;
  const deadline = Date.now() + TAKE_OVER_TIMEOUT_MS;
  while (isLive(readProcStat(pid)) && Date.now() < deadline) await delay(EXIT_CHECK_INTERVAL_MS);
}
