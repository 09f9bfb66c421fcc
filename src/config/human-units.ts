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
