/** The outcome of one check: whether it passed and, when it did not, why in words. */
export interface ProbeResult {
  ok: boolean;
  /** Why the check failed (`GET /healthz answered 500`), or null when it passed. */
  reason: string | null;
}

/** One check of one probe against one instance; `signal` aborts it (the instance is gone). */
export type ProbeCheck = (signal: AbortSignal) => Promise<ProbeResult>;

/** The result of a check that passed. */
export const PASSED: ProbeResult = { ok: true, reason: null };

/** The result of a check that failed, with its reason. */
export function failed(reason: string): ProbeResult {
  return { ok: false, reason };
}

/** The reason of a check cut short because its instance is gone: never kept, the scheduler has stopped. */
export const ABORTED = failed('aborted: the instance is gone');
