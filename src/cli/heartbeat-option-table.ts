import { MIN_MAX_MEMORY_BYTES } from '../config/byte-size.js';
import type { OptionSpec } from './command-types.js';

const DAY_MS = 24 * 3600 * 1000;

/** `--ready-on`, `--watchdog`, `--max-memory` and `--silence-timeout` of `tend start` (docs/health.md). */
export const HEARTBEAT_OPTIONS: readonly OptionSpec[] = [
  {
    long: 'ready-on',
    kind: 'value',
    valueName: 'WHEN',
    description:
      'notify: ready once it sends READY=1 (tend notify --ready); tcp: once its port accepts; none: at once',
    defaultText: 'tcp with --port, else none',
    check: { kind: 'choice', choices: ['notify', 'tcp', 'none'] },
  },
  {
    long: 'watchdog',
    kind: 'value',
    valueName: 'MS',
    description:
      'once ready, it must send WATCHDOG=1 (tend notify --heartbeat) this often or it is hung and restarted',
    defaultText: 'off',
    check: { kind: 'duration', minMs: 1, maxMs: DAY_MS },
  },
  {
    long: 'max-memory',
    kind: 'value',
    valueName: 'SIZE',
    description:
      'restart an instance whose resident memory stays above SIZE (300M, 1.5G; 3 checks 1 s apart)',
    defaultText: 'off',
    check: { kind: 'byte-size', minBytes: MIN_MAX_MEMORY_BYTES },
  },
  {
    long: 'silence-timeout',
    kind: 'value',
    valueName: 'MS',
    description: 'an instance that writes no output for this long is hung and restarted',
    defaultText: 'off',
    check: { kind: 'duration', minMs: 1, maxMs: DAY_MS },
  },
];
