import type { ProgramSpec } from '../config/program-spec.js';

/** The shell that `shell: true` runs, as Node's spawn does on Linux. */
export const SHELL_PATH = '/bin/sh';

/**
 * The argv a program runs: its command and arguments, or, with `shell`, `/bin/sh -c` and the line
 * Node's spawn builds (the command and the arguments joined by spaces).
 */
export function programArgv(spec: Pick<ProgramSpec, 'command' | 'args' | 'shell'>): string[] {
  if (spec.shell) return [SHELL_PATH, '-c', [spec.command, ...spec.args].join(' ')];
  return [spec.command, ...spec.args];
}

/** Whether a program is a pool: it may run more than one instance (its `max`). */
export function isPool(spec: Pick<ProgramSpec, 'max'>): boolean {
  return spec.max > 1;
}
