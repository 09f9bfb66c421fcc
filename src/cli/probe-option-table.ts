import { formatDuration } from '../config/human-units.js';
import { PROBE_DEFAULTS } from '../config/probe-defaults.js';
import type { OptionSpec } from './command-types.js';

const DAY_MS = 24 * 3600 * 1000;

/** The three probes as the CLI names them (`--startup`, `--readiness`, `--liveness`). */
export const PROBE_FLAGS = ['startup', 'readiness', 'liveness'] as const;
/** A probe as the CLI names it. */
export type ProbeFlag = (typeof PROBE_FLAGS)[number];

/** The tuning options of each probe: `--<probe>-<suffix>`, and the probe field each sets. */
export const PROBE_TUNING = [
  { suffix: 'period', field: 'periodMs', isDuration: true, text: 'time between two checks' },
  { suffix: 'timeout', field: 'timeoutMs', isDuration: true, text: 'how long one check may take' },
  {
    suffix: 'failures',
    field: 'failureThreshold',
    isDuration: false,
    text: 'failures in a row that count',
  },
  {
    suffix: 'delay',
    field: 'initialDelayMs',
    isDuration: true,
    text: 'wait before the first check',
  },
] as const;

const WHAT: Record<ProbeFlag, string> = {
  startup: 'until it passes, the other probes wait',
  readiness: 'starting until it passes, then while it fails no traffic; none: ready on spawn',
  liveness: 'failing --liveness-failures times in a row means hung',
};

/** `--startup`, `--readiness`, `--liveness` and their tuning options, as help and the parser see them. */
export const PROBE_OPTIONS: readonly OptionSpec[] = PROBE_FLAGS.flatMap((flag): OptionSpec[] => [
  {
    long: flag,
    kind: 'value',
    valueName: 'PROBE',
    description: `http[:PORT][/PATH], tcp[:PORT] or exec:COMMAND: ${WHAT[flag]} (docs/health.md)`,
    defaultText: flag === 'readiness' ? 'tcp with --port, else none' : 'none',
    check: { kind: 'probe', allowsNone: flag === 'readiness' },
  },
  ...PROBE_TUNING.map(
    (tuning): OptionSpec => ({
      long: `${flag}-${tuning.suffix}`,
      kind: 'value',
      valueName: tuning.isDuration ? 'MS' : 'N',
      description: `--${flag}: ${tuning.text}`,
      defaultText: tuning.isDuration
        ? formatDuration(PROBE_DEFAULTS[tuning.field])
        : String(PROBE_DEFAULTS[tuning.field]),
      check: tuning.isDuration
        ? { kind: 'duration', minMs: tuning.field === 'initialDelayMs' ? 0 : 1, maxMs: DAY_MS }
        : { kind: 'integer', min: 1, max: 1000 },
    }),
  ),
  ...(flag === 'readiness'
    ? [
        {
          long: 'readiness-successes',
          kind: 'value',
          valueName: 'N',
          description: '--readiness: successes in a row that make an instance ready again',
          defaultText: String(PROBE_DEFAULTS.successThreshold),
          check: { kind: 'integer', min: 1, max: 1000 },
        } satisfies OptionSpec,
      ]
    : []),
]);
