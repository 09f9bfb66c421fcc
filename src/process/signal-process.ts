import type { SignalName } from './signals.js';

/**
 * Sends a signal to one process or to its whole process group. A process that is already gone
 * (ESRCH) is not an error; anything else (EPERM) is thrown.
 */
export function signalProcess(pid: number, signal: SignalName, target: 'process' | 'group'): void {
  // kill(0) signals our own group and kill(-1) every process we may signal: never let a bad pid get there.
  if (!Number.isSafeInteger(pid) || pid <= 1) {
    throw new RangeError(`Expected a process id greater than 1, got ${pid}`);
  }
  try {
    process.kill(target === 'group' ? -pid : pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
