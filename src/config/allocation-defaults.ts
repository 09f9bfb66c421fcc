/** Defaults of an allocation request (`tend allocate`, `POST /v1/programs/:name/allocate`), in one place. */
export const ALLOCATION_DEFAULTS = {
  /** How long a request waits for a free instance before 503. */
  timeoutMs: 10_000,
  /** A lease without a time-to-live lasts until it is released or its instance exits. */
  ttlMs: null as number | null,
} as const;
