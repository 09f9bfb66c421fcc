/** Longest wait for a killed group to disappear (a PID 1 that never reaps would otherwise hold us for ever). */
export const GROUP_GONE_TIMEOUT_MS = 2_000;

/**
 * Kills what is left of a process group whose leader has exited, and resolves once no process of
 * the group remains, so that an instance counts as stopped (and is restarted) only when nothing of
 * it is left: an orphaned worker of a crashed server would otherwise keep its port.
 * The kernel has no event for "group empty"; `kill(-pgid, 0)` is checked each millisecond, and is
 * usually empty at the first check.
 */
export async function endProcessGroup(pgid: number): Promise<void> {
  if (!sendToGroup(pgid, 'SIGKILL')) return;
  const deadline = Date.now() + GROUP_GONE_TIMEOUT_MS;
  while (sendToGroup(pgid, 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
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
