import { hasLiveGroupMember } from './proc-table.js';

/** Longest wait for a killed group to disappear (a PID 1 that never reaps would otherwise hold us for ever). */
export const GROUP_GONE_TIMEOUT_MS = 2_000;

/** Pause between two looks at a group that still has a live member. */
const GROUP_CHECK_INTERVAL_MS = 2;

/**
 * Kills what is left of a process group whose leader has exited, and resolves once no process of
 * the group runs, so that an instance counts as stopped (and is restarted) only when nothing of
 * it is left: an orphaned worker of a crashed server would otherwise keep its port.
 * The kernel has no event for "group empty". `kill(-pgid, 0)` also succeeds while members are
 * zombies that PID 1 has not reaped yet (1–2 s on some machines), so a group whose members are all
 * zombies counts as gone: /proc tells their state.
 */
export async function endProcessGroup(
  pgid: number,
  timeoutMs = GROUP_GONE_TIMEOUT_MS,
): Promise<void> {
  if (!sendToGroup(pgid, 'SIGKILL')) return;
  const deadline = Date.now() + timeoutMs;
  while (isGroupRunning(pgid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, GROUP_CHECK_INTERVAL_MS));
  }
}

/** Whether the group has a member that has not ended (the cheap kill check first, /proc only then). */
export function isGroupRunning(pgid: number): boolean {
  return sendToGroup(pgid, 0) && hasLiveGroupMember(pgid);
}

/** Whether the group still had a member to send to. */
function sendToGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
