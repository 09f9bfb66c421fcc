import type { ProbeSpecInput } from '../config/probe-spec.js';
import type { ProgramSpecInput } from '../config/program-spec.js';
import { UsageError } from '../errors.js';
import type { ParsedArgs } from './command-types.js';
import { parseProbeArgument } from './option-values.js';
import { numberOption, stringOption } from './parse-args.js';
import { PROBE_FLAGS, PROBE_TUNING, type ProbeFlag } from './probe-option-table.js';

/** The fields of a program definition that `--startup`, `--readiness`, `--liveness` and their tuning options set. */
export type ProbePlan = Pick<
  ProgramSpecInput,
  'readiness' | 'startupProbe' | 'readinessProbe' | 'livenessProbe'
>;

const FIELD_OF: Record<ProbeFlag, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> = {
  startup: 'startupProbe',
  readiness: 'readinessProbe',
  liveness: 'livenessProbe',
};

/**
 * The probes of `tend start`. `--readiness none` and `--readiness tcp` keep their meaning from
 * before probes (the `readiness` field: whether an instance with a port is `starting` until its
 * port accepts); `tcp` also sets a TCP readiness probe, which goes on checking once it is ready.
 */
export function planProbes(args: ParsedArgs): ProbePlan {
  const plan: ProbePlan = {};
  for (const flag of PROBE_FLAGS) {
    const raw = stringOption(args, flag);
    const tuning = tuningOf(args, flag);
    const tuningGiven = tuningFlagsOf(flag).find((option) => args.options.has(option));
    if (raw === undefined || (flag === 'readiness' && raw === 'none')) {
      if (tuningGiven !== undefined) {
        throw invalid(
          `Expected a probe with --${flag} (such as --${flag} http:/healthz) for --${tuningGiven}`,
        );
      }
      if (raw === 'none') plan.readiness = 'none';
      continue;
    }
    plan[FIELD_OF[flag]] = { ...parseProbeArgument(raw, `--${flag}`), ...tuning };
    if (flag === 'readiness' && raw === 'tcp') plan.readiness = 'tcp';
  }
  return plan;
}

function tuningFlagsOf(flag: ProbeFlag): string[] {
  return [...PROBE_TUNING.map((entry) => `${flag}-${entry.suffix}`), `${flag}-successes`];
}

function tuningOf(args: ParsedArgs, flag: ProbeFlag): Partial<ProbeSpecInput> {
  const tuning: Partial<ProbeSpecInput> = {};
  for (const entry of PROBE_TUNING) {
    const value = numberOption(args, `${flag}-${entry.suffix}`);
    if (value !== undefined) tuning[entry.field] = value;
  }
  const successes = numberOption(args, `${flag}-successes`);
  if (successes !== undefined) tuning.successThreshold = successes;
  return tuning;
}

function invalid(message: string): UsageError {
  return new UsageError('TEND_ERR_USAGE_INVALID_ARGUMENT', message);
}
