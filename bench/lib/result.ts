/** One target of a benchmark and whether this run met it (null when it could not be measured). */
export interface TargetCheck {
  target: string;
  isMet: boolean | null;
  measured: string;
}

/** What a benchmark hands back to run-all: its printed report and its target checks. */
export interface BenchResult {
  name: string;
  report: string;
  targets: TargetCheck[];
}

/** `met`, `MISSED` or `not measured`, for tables. */
export function formatVerdict(isMet: boolean | null): string {
  if (isMet === null) return 'not measured';
  return isMet ? 'met' : 'MISSED';
}

/** A target check from a measured value; NaN counts as not measured. */
export function checkTarget(
  target: string,
  value: number,
  isMet: (value: number) => boolean,
  measured: string,
): TargetCheck {
  return { target, isMet: Number.isFinite(value) ? isMet(value) : null, measured };
}
