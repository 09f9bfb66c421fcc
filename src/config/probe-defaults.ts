// Kept apart from the zod schema so that the CLI's option table can read them without loading zod.

/** Defaults of every probe, in one place: Kubernetes' own (see docs/health.md). */
export const PROBE_DEFAULTS = {
  periodMs: 10_000,
  timeoutMs: 1_000,
  failureThreshold: 3,
  successThreshold: 1,
  initialDelayMs: 0,
  path: '/',
} as const;

/** What a probe does: GET a path, connect to a port, or run a command. */
export const PROBE_KINDS = ['http', 'tcp', 'exec'] as const;
/** What a probe does: GET a path, connect to a port, or run a command. */
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** The three probes of a program, by their field name in the program definition. */
export const PROBE_ROLES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;
/** The field of a program definition that holds one of its probes. */
export type ProbeRole = (typeof PROBE_ROLES)[number];
