import type { ProgramSpecInput } from '../config/program-spec.js';
import { UsageError } from '../errors.js';
import type { ParsedArgs } from './command-types.js';
import { numberOption, stringOption } from './parse-args.js';

/** The fields of a program definition that `--ready-on`, `--watchdog`, `--max-memory` and `--silence-timeout` set. */
export type HeartbeatPlan = Pick<
  ProgramSpecInput,
  'readiness' | 'watchdogMs' | 'maxMemoryBytes' | 'silenceTimeoutMs'
>;

/**
 * The heartbeat options of `tend start`. `--ready-on` sets the same `readiness` field as
 * `--readiness none|tcp`; `readiness` already set by the probe options (`set`) and a different
 * `--ready-on` contradict each other and are refused.
 */
export function planHeartbeats(
  args: ParsedArgs,
  set: Pick<ProgramSpecInput, 'readiness'> = {},
): HeartbeatPlan {
  const plan: HeartbeatPlan = {};
  const readyOn = stringOption(args, 'ready-on') as HeartbeatPlan['readiness'];
  if (readyOn !== undefined) {
    if (set.readiness !== undefined && set.readiness !== readyOn) {
      throw new UsageError(
        'TEND_ERR_USAGE_INVALID_ARGUMENT',
        `Expected one of --ready-on ${readyOn} and --readiness ${set.readiness}: both say when an instance is ready`,
      );
    }
    plan.readiness = readyOn;
  }
  const watchdogMs = numberOption(args, 'watchdog');
  if (watchdogMs !== undefined) plan.watchdogMs = watchdogMs;
  const maxMemoryBytes = numberOption(args, 'max-memory');
  if (maxMemoryBytes !== undefined) plan.maxMemoryBytes = maxMemoryBytes;
  const silenceTimeoutMs = numberOption(args, 'silence-timeout');
  if (silenceTimeoutMs !== undefined) plan.silenceTimeoutMs = silenceTimeoutMs;
  return plan;
}
