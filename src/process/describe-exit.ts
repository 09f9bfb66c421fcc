import type { ProcessExit } from './runtime.js';
import { signalNumber } from './signals.js';

/** Says how a process ended, in words: "exited with code 3", "killed by SIGSEGV". */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exited with code ${exit.code}`;
  return "ended while tend's daemon was not its parent: exit code unknown";
}

/** The status a shell would report for an exit: the code, or 128 + the signal number. */
export function exitStatusCode(exit: ProcessExit): number {
  if (exit.signal !== null) return 128 + signalNumber(exit.signal);
  return exit.code ?? 1;
}
