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
 * Asks the running daemon `pid` to hand over (it saves the state with every pid, writes what the
 * FIFOs hold, releases the lock and the socket, and exits), then waits until it has exited. This
 * daemon has loaded all its code by then, so the API is away only for the hand-over and the
 * adoption, not for Node's start-up. An old daemon that is already gone is no error.
 */
export async function takeOver(socketPath: string, pid: number): Promise<void> {
  if (!isLive(readProcStat(pid))) return;
  await new ApiClient({ socketPath }).request('POST', '/v1/daemon/hand-over').catch(() => {});
  const deadline = Date.now() + TAKE_OVER_TIMEOUT_MS;
  while (isLive(readProcStat(pid)) && Date.now() < deadline) await delay(EXIT_CHECK_INTERVAL_MS);
}
