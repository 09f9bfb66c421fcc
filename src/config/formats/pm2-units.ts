/** PM2's duration suffixes (its `stime` type) and tend's `ms`, in milliseconds. */
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** PM2's memory suffixes (its `sbyte` type), in bytes. */
const MEMORY_UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** A PM2 duration (a number of ms, or `'10s'`, `'2m'`, `'1h'`, `'1500'`) in ms, or undefined when it is not one. */
export function parsePm2Duration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 'ms'] ?? 1));
}

/** A PM2 memory size (bytes, or `'300M'`, `'1G'`, `'512K'`) in bytes, or undefined when it is not one. */
export function parsePm2Memory(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMG])?B?\s*$/i.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (MEMORY_UNITS[(match[2] ?? '').toUpperCase()] ?? 1));
}
