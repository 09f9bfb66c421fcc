import type { RestartPolicy } from '../config/program-spec.js';
import type { ProcessExit } from './types.js';

/** Whether an exit code is one the program uses to say "done, do not restart". */
export function isDoneExit(exit: ProcessExit, noRestartExitCodes: readonly number[]): boolean {
  return exit.code !== null && noRestartExitCodes.includes(exit.code);
}

/** Whether tend counts an exit as a failure: a non-zero code not listed as done, or a signal. */
export function isFailureExit(exit: ProcessExit, noRestartExitCodes: readonly number[]): boolean {
  if (isDoneExit(exit, noRestartExitCodes)) return false;
  return exit.code !== 0;
}

/** Whether a process that exited on its own (not asked to stop) should be started again. */
export function shouldRestart(
  policy: RestartPolicy,
  exit: ProcessExit,
  noRestartExitCodes: readonly number[],
): boolean {
  if (isDoneExit(exit, noRestartExitCodes)) return false;
  switch (policy) {
    case 'always':
      return true;
    case 'on-failure':
      return isFailureExit(exit, noRestartExitCodes);
    case 'never':
      return false;
  }
}
