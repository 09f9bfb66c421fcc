/**
 * The human forms of durations and sizes, one grammar for the CLI's options and tend.yaml:
 * `1500`, `1500ms`, `2s`, `1.5m`, `1h`; `1048576`, `512K`, `300M`, `1G` (binary multiples).
 */

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const SIZE_UNITS_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/** What a duration looks like, for messages and the JSON Schema. */
export const DURATION_FORMS = 'milliseconds, or a number with a unit: 1500ms, 2s, 1.5m, 1h';
/** What a size looks like, for messages and the JSON Schema. */
export const SIZE_FORMS = 'bytes, or a number with a unit: 512K, 300M, 1G (multiples of 1024)';

/** A pattern of the text forms, for the JSON Schema. */
export const DURATION_PATTERN = '^\\s*\\d+(\\.\\d+)?(ms|s|m|h)?\\s*$';
/** A pattern of the text forms, for the JSON Schema. */
export const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?([bBkKmMgGtT]([iI]?[bB])?)?\\s*$';

/** A duration in whole milliseconds, or undefined when the text is not one. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Math.round(Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 'ms'] ?? 1));
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A size in whole bytes, or undefined when the text is not one. */
export function parseSizeBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(?:([bkmgt])(?:i?b)?)?$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = SIZE_UNITS_BYTES[(match[2] ?? 'b').toLowerCase()] ?? 1;
  const value = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(value) ? value : undefined;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * A set duration in the shortest exact form the grammar reads back: the largest unit that gives a
 * number ≥ 1 with at most one decimal, else milliseconds (`250ms`, `1.5s`, `4s`, `1.5m`, `2h`, `1234ms`).
 */
export function formatDuration(ms: number): string {
  const value = Math.max(0, Math.round(ms));
  for (const unit of ['h', 'm', 's'] as const) {
    const unitMs = DURATION_UNITS_MS[unit] ?? 1;
    if (value >= unitMs && (value * 10) % unitMs === 0) return `${value / unitMs}${unit}`;
  }
  return `${value}ms`;
}

/**
 * A measured span (an uptime, an age) rounded down to at most two units, short enough for a table:
 * `450ms`, `1.2s`, `42s`, `5m 3s`, `3h 4m`, `2d 3h`.
 */
export function formatElapsed(ms: number): string {
  const value = Math.max(0, Math.floor(ms));
  if (value < SECOND_MS) return `${value}ms`;
  if (value < 10 * SECOND_MS) return `${Math.floor(value / 100) / 10}s`;
  if (value < MINUTE_MS) return `${Math.floor(value / SECOND_MS)}s`;
  if (value < HOUR_MS) return twoUnits(value, MINUTE_MS, 'm', SECOND_MS, 's');
  if (value < DAY_MS) return twoUnits(value, HOUR_MS, 'h', MINUTE_MS, 'm');
  return twoUnits(value, DAY_MS, 'd', HOUR_MS, 'h');
}

function twoUnits(
  value: number,
  bigMs: number,
  bigUnit: string,
  smallMs: number,
  smallUnit: string,
): string {
  const big = Math.floor(value / bigMs);
  const small = Math.floor((value % bigMs) / smallMs);
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit} ${small}${smallUnit}`;
}
