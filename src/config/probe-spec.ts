import { z } from 'zod';
import { PROBE_DEFAULTS, PROBE_KINDS, PROBE_ROLES, type ProbeKind } from './probe-defaults.js';

const DAY_MS = 24 * 3600 * 1000;
const MAX_THRESHOLD = 1000;

const probeKind = z.string().transform((value, ctx) => {
  if ((PROBE_KINDS as readonly string[]).includes(value)) return value as ProbeKind;
  ctx.addIssue({
    code: 'custom',
    message: `Expected \`kind\` to be http, tcp or exec, got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});

const threshold = z.number().int().min(1).max(MAX_THRESHOLD);

/**
 * One probe: how to check an instance and how often. Which fields a kind takes (`path` for http,
 * `command` for exec…) is checked after the shape, so that the message names the kind.
 */
export const ProbeSpecSchema = z
  .strictObject({
    kind: probeKind,
    /** http: the path to GET, starting with `/`. */
    path: z.string().max(2048).optional(),
    /** http and tcp: the port to check instead of the instance's own (`port` + instance index). */
    port: z.number().int().min(1).max(65_535).optional(),
    /** exec: the program to run (found through the program's PATH and cwd), or a shell line with `shell`. */
    command: z.string().min(1, 'Expected `command` to be a program to run').max(4096).optional(),
    args: z
      .array(z.string().max(128 * 1024))
      .max(256)
      .optional(),
    shell: z.boolean().optional(),
    periodMs: z
      .number()
      .int()
      .min(1, 'Expected `periodMs` to be at least 1 ms')
      .max(DAY_MS)
      .default(PROBE_DEFAULTS.periodMs),
    timeoutMs: z
      .number()
      .int()
      .min(1, 'Expected `timeoutMs` to be at least 1 ms')
      .max(DAY_MS)
      .default(PROBE_DEFAULTS.timeoutMs),
    failureThreshold: threshold.default(PROBE_DEFAULTS.failureThreshold),
    successThreshold: threshold.default(PROBE_DEFAULTS.successThreshold),
    initialDelayMs: z.number().int().min(0).max(DAY_MS).default(PROBE_DEFAULTS.initialDelayMs),
  })
  .superRefine((probe, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (probe.timeoutMs > probe.periodMs) {
      issue(
        'timeoutMs',
        `Expected \`timeoutMs\` to be at most \`periodMs\` (${probe.periodMs}), got ${probe.timeoutMs}: runs of a probe never overlap`,
      );
    }
    if (probe.path !== undefined && probe.kind !== 'http') {
      issue('path', `Expected no \`path\` on a ${probe.kind} probe: only http probes GET a path`);
    } else if (probe.path !== undefined && !probe.path.startsWith('/')) {
      issue('path', `Expected \`path\` to start with /, got ${JSON.stringify(probe.path)}`);
    }
    if (probe.port !== undefined && probe.kind === 'exec') {
      issue(
        'port',
        'Expected no `port` on an exec probe: its command gets PORT in its environment',
      );
    }
    if (probe.kind === 'exec' && probe.command === undefined) {
      issue('command', 'Expected a `command` to run on an exec probe');
    }
    if (probe.kind !== 'exec') {
      for (const field of ['command', 'args', 'shell'] as const) {
        if (probe[field] !== undefined) {
          issue(
            field,
            `Expected no \`${field}\` on a ${probe.kind} probe: only exec probes run a command`,
          );
        }
      }
    }
  });

/** One probe, defaults applied. */
export type ProbeSpec = z.output<typeof ProbeSpecSchema>;
/** One probe as a client may send it. */
export type ProbeSpecInput = z.input<typeof ProbeSpecSchema>;

/**
 * What is wrong with a program's probes as a whole, by field: an http or tcp probe needs a port
 * (its own or the program's), and, as in Kubernetes, liveness and startup probes pass after one
 * success (a failure streak is what counts for them).
 */
export function probeRoleProblems(spec: {
  port?: number | undefined;
  startupProbe?: ProbeSpec | undefined;
  readinessProbe?: ProbeSpec | undefined;
  livenessProbe?: ProbeSpec | undefined;
}): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  for (const role of PROBE_ROLES) {
    const probe = spec[role];
    if (probe === undefined) continue;
    if (probe.kind !== 'exec' && probe.port === undefined && spec.port === undefined) {
      problems.push({
        path: [role, 'port'],
        message: `Expected a \`port\` on the ${probe.kind} probe or on the program: the probe checks it`,
      });
    }
    if (role !== 'readinessProbe' && probe.successThreshold !== 1) {
      problems.push({
        path: [role, 'successThreshold'],
        message: `Expected \`successThreshold\` to be 1 on a ${role === 'livenessProbe' ? 'liveness' : 'startup'} probe (only readiness counts successes), got ${probe.successThreshold}`,
      });
    }
  }
  return problems;
}

/** The path an http probe GETs: its own, or `/`. */
export function probePath(probe: ProbeSpec): string {
  return probe.path ?? PROBE_DEFAULTS.path;
}
