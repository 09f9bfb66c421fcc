import { PROBE_ROLES } from '../config/probe-defaults.js';
import { UsageError } from '../errors.js';
import { executableCandidates, executableProblem } from '../process/spawn-failure.js';

/** The parts of a program definition (given or parsed) that locate its exec probes' commands. */
export interface ProbeCommandContext {
  cwd: string;
  env?: Readonly<Record<string, string>> | undefined;
  startupProbe?: ExecLike | undefined;
  readinessProbe?: ExecLike | undefined;
  livenessProbe?: ExecLike | undefined;
}

interface ExecLike {
  kind: string;
  command?: string | undefined;
  shell?: boolean | undefined;
}

/**
 * Throws TEND_ERR_PROBE_COMMAND_NOT_FOUND when an exec probe's command cannot be run, looked up
 * as the probe will run it: through the program's `env.PATH`, relative to its `cwd`. It is a
 * check of the file system at the moment it is called (`tend start`), so it is not part of the
 * schema: a state file must still load after a command was removed. A shell line is not checked.
 */
export function checkProbeCommands(spec: ProbeCommandContext): void {
  for (const role of PROBE_ROLES) {
    const probe = spec[role];
    if (probe?.kind !== 'exec' || probe.command === undefined || probe.shell === true) continue;
    const candidates = executableCandidates(probe.command, spec.cwd, spec.env?.PATH);
    const problems = candidates.map(executableProblem);
    if (problems.includes(undefined)) continue;
    const why = problems.includes('EACCES') ? 'is not executable' : 'does not exist';
    const where = probe.command.includes('/')
      ? `${candidates[0]} ${why}`
      : `it ${why} in the program's PATH (${spec.env?.PATH ?? 'the default /usr/bin:/bin'})`;
    throw new UsageError(
      'TEND_ERR_PROBE_COMMAND_NOT_FOUND',
      `Expected \`${role}.command\` to be a program that can run, got ${JSON.stringify(probe.command)}: ${where}`,
    );
  }
}
