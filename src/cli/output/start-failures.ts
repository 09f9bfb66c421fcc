import type { ApiClient } from '../../api/client.js';
import type { ProgramActionResult, ProgramDetail } from '../../api/wire.js';
import { formatElapsed } from '../../config/human-units.js';
import { TendError } from '../../errors.js';
import type { ExpectedStart, StartFailure, StartVerdict } from '../start-watch.js';
import { readStderrTail } from './stderr-tail.js';

/** The instances a create (all of them) or a start/restart (those it changed) was to start. */
export function expectedStarts(result: ProgramDetail | ProgramActionResult[]): ExpectedStart[] {
  const programs: Array<ProgramDetail & Partial<Pick<ProgramActionResult, 'effect'>>> =
    Array.isArray(result) ? result : [result];
  return programs.flatMap((program) => {
    const changed = program.effect ? new Set(program.effect.changed) : undefined;
    return program.instances
      .filter((instance) => changed === undefined || changed.has(instance.instance))
      .map((instance) => ({
        name: program.name,
        instance: instance.instance,
        spec: program.spec,
        waiting: program.waiting,
      }));
  });
}

/**
 * Fails the command (exit 1) when a process it started exited before it was ready or had run
 * minUptime, with the exit code or signal and the last lines of the program's stderr; when one
 * did not settle within its bounds; and when a program waits for a dependency that cannot
 * become ready by itself (or still waited at the bound).
 */
export async function throwIfStartFailed(client: ApiClient, verdict: StartVerdict): Promise<void> {
  if (verdict.failures.length === 0 && verdict.unsettled.length === 0) {
    if (verdict.waiting.length === 0) return;
    throw new TendError('TEND_ERR_DEPENDENCY_NOT_READY', describeWaiting(verdict.waiting));
  }
  const lines: string[] = [];
  if (verdict.waiting.length > 0) lines.push(describeWaiting(verdict.waiting));
  for (const failure of verdict.failures) lines.push(describeFailure(failure));
  for (const { name, instance } of verdict.unsettled)
    lines.push(`${name}[${instance}] is still not ready; \`tend status ${name}\` says why`);
  for (const name of new Set(verdict.failures.map((failure) => failure.name))) {
    const tail = await readStderrTail(client, name).catch(() => []);
    if (tail.length === 0) continue;
    lines.push(`last lines of ${name}'s stderr:`);
    for (const line of tail) lines.push(`  ${line.name}[${line.instance}] ${line.line}`);
  }
  const names = [
    ...new Set([...verdict.failures, ...verdict.unsettled].map((entry) => entry.name)),
  ];
  lines.push(
    `It is restarted per its restart policy; \`tend status ${names.join(' ')}\` shows every exit, \`tend logs ${names[0]} --err\` its output.`,
  );
  throw new TendError('TEND_ERR_PROGRAM_START_FAILED', lines.join('\n'));
}

function describeWaiting(waiting: StartVerdict['waiting']): string {
  const lines = waiting.map(({ name, reason }) => `${name} is ${reason}`);
  lines.push(
    `${waiting.length === 1 ? 'It starts by itself once its dependencies are' : 'They start by themselves once their dependencies are'} ready; \`tend status ${waiting.map(({ name }) => name).join(' ')}\` shows the wait.`,
  );
  return lines.join('\n');
}

function describeFailure(failure: StartFailure): string {
  const how =
    failure.signal !== null
      ? `was killed by ${failure.signal}`
      : `exited with code ${failure.code}`;
  // The daemon's reason says the exit and what comes next ("…; restarting in 100ms"): shown as it is.
  if (failure.reason !== null)
    return `${failure.name}[${failure.instance}] exited at start: ${failure.reason}`;
  return `${failure.name}[${failure.instance}] ${how} ${formatElapsed(failure.uptimeMs)} after it started`;
}
