import { formatDuration, formatElapsed } from '../config/human-units.js';
import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec, RestartPolicy } from '../config/program-spec.js';
import { isProbeGated, startDeadlineMs } from './readiness.js';
import type { ProcessExit, SpawnOutcome } from './types.js';

/** How a process ended, in words: `code 3` or `signal SIGSEGV`. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `signal ${exit.signal}`;
  if (exit.code !== null) return `code ${exit.code}`;
  // Only an adopted process has neither: it ended while tend's daemon was not its parent.
  return "code unknown (it ended while tend's daemon was not its parent)";
}

/** Why an instance stayed down after its process exited on its own. */
export function stayedDownReason(
  exit: ProcessExit,
  policy: RestartPolicy,
  isDone: boolean,
): string {
  const how =
    exit.signal !== null ? `killed by ${describeExit(exit)}` : `exited with ${describeExit(exit)}`;
  if (isDone) return `${how}, listed as done in noRestartExitCodes`;
  return `${how}; restart policy is ${policy}`;
}

/** Why an instance waits before its next start. */
export function backoffReason(
  exit: ProcessExit,
  uptimeMs: number,
  delayMs: number,
  consecutiveYoungDeaths: number,
  notReadyBecause: string | null = null,
): string {
  const times = consecutiveYoungDeaths === 1 ? 'once' : `${consecutiveYoungDeaths} times in a row`;
  const why = notReadyBecause === null ? '' : `; ${notReadyBecause}`;
  return `${describeExit(exit)} ${formatElapsed(uptimeMs)} after starting (${times})${why}; restarting in ${formatDuration(delayMs)}`;
}

/** What the intensity check saw when it gave up, for the errored reason. */
export interface GiveUpFacts {
  name: string;
  youngDeaths: number;
  restartWindowMs: number;
  minUptimeMs: number;
  lastExit: ProcessExit;
  isLastExitFailure: boolean;
  /** Why the runs were not ready, when the readiness check found out (another process on the port). */
  notReadyBecause?: string | null;
}

/** Why an instance gave up restarting, with what to do about it. */
export function gaveUpReason(facts: GiveUpFacts): string {
  const verb = facts.isLastExitFailure ? 'crashed' : 'exited';
  return (
    `${verb} ${facts.youngDeaths} times within ${formatDuration(facts.restartWindowMs)} (backoff pauses not counted), ` +
    `each within ${formatDuration(facts.minUptimeMs)} of starting; last exit: ${describeExit(facts.lastExit)}` +
    (facts.notReadyBecause ? `; ${facts.notReadyBecause}. ` : '. ') +
    `Run \`tend restart ${facts.name}\` after fixing it.`
  );
}

/** Why an instance could not be started: the runtime's sentence, or the command and a bare OS reason. */
export function spawnFailedReason(
  command: string,
  outcome: Extract<SpawnOutcome, { ok: false }>,
): string {
  const prefix = `cannot start ${command}`;
  return outcome.message.startsWith(prefix) ? outcome.message : `${prefix}: ${outcome.message}`;
}

/** Why an instance was stopped while starting: it did not become ready in time. */
export function notReadyReason(spec: ProgramSpec, index: number): string {
  const port = instancePort(spec, index);
  const what = isProbeGated(spec)
    ? `its ${[spec.startupProbe && 'startup', spec.readinessProbe && 'readiness'].filter(Boolean).join(' and ')} probe never passed`
    : port === null
      ? 'its readiness check never answered'
      : `port ${port} never answered`;
  return `not ready within ${formatDuration(startDeadlineMs(spec))} (${what})`;
}

/** Why an exit's code, signal and time are unknown: the run ended between two daemons. */
export const ENDED_UNSEEN_REASON =
  'ended while no daemon ran; code unknown (found gone when the next daemon started)';
