/** Smallest `maxMemoryBytes` taken: below 1 MiB every process would be over it. */
export const MIN_MAX_MEMORY_BYTES = 1024 * 1024;

/** The units a size takes, all 1024-based as in systemd and PM2: `K` and `KiB` are both 1024 bytes. */
export const BYTE_SIZE_UNITS: Readonly<Record<string, number>> = {
  K: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GIB: 1024 ** 3,
  T: 1024 ** 4,
  TIB: 1024 ** 4,
};

/** How the units are described in error messages and help. */
export const BYTE_SIZE_EXPECTED =
  'a size with a unit, such as 300M, 1.5G or 512MiB (K, M, G, T or KiB, MiB, GiB, TiB; all 1024-based)';

/**
 * Parses a size such as `300M`, `1.5G` or `512MiB` into whole bytes, or says what is wrong with
 * it. A bare number is refused: `300` could mean bytes or megabytes, and a wrong guess restarts
 * every instance or none. `MB`/`GB` are refused too, because they usually mean 1000-based.
 */
export function parseByteSize(raw: string): { bytes: number } | { problem: string } {
  const match = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(raw.trim());
  if (!match) return { problem: `Expected ${BYTE_SIZE_EXPECTED}` };
  const unit = (match[2] ?? '').toUpperCase();
  if (unit === '') {
    return { problem: `Expected ${BYTE_SIZE_EXPECTED}; a bare number has no unit` };
  }
  const unitBytes = BYTE_SIZE_UNITS[unit];
  if (unitBytes === undefined) {
    const hint = /^[KMGT]B$/.test(unit)
      ? `; ${unit} is ambiguous (1000 or 1024), write ${match[1]}${unit[0]} for 1024-based`
      : `; unknown unit ${JSON.stringify(match[2])}`;
    return { problem: `Expected ${BYTE_SIZE_EXPECTED}${hint}` };
  }
  return { bytes: Math.round(Number(match[1]) * unitBytes) };
}
