import { proxyProgramName } from '../pool/proxy-name.js';
import type { PersistedProgram } from '../store/persisted-state.js';
import type { SupervisorRuntime } from '../supervisor/types.js';
import type { ProcessIdentityPort } from './pid-tracker.js';

/**
 * Processes a killed daemon left that the next one does not adopt (a program meant to stay
 * stopped, or a state file from another boot): end them (by pid, verified by start time so
 * that a reused pid is never hit) before the programs are started anew.
 */
export function endLeftovers(
  programs: PersistedProgram[],
  identity: ProcessIdentityPort,
  runtime: Pick<SupervisorRuntime, 'signal'>,
  onProblem: (message: string) => void,
): void {
  for (const persisted of programs) {
    const leftovers = persisted.instances.map((instance) => ({
      what: `${persisted.spec.name}[${instance.index}]`,
      pid: instance.lastPid,
      startTime: instance.lastPidStartTime,
    }));
    if (persisted.proxyProcess) {
      leftovers.push({
        what: proxyProgramName(persisted.spec.name),
        pid: persisted.proxyProcess.pid,
        startTime: persisted.proxyProcess.startTime,
      });
    }
    for (const { what, pid, startTime } of leftovers) {
      if (pid === null || startTime === null) continue;
      if (identity.startTime(pid) !== startTime) continue;
      onProblem(`${what}: pid ${pid} outlived the previous daemon; ending its process group`);
      runtime.signal(pid, 'SIGKILL', 'group');
    }
  }
}
