import { z } from 'zod';
import { parseSignal, type SignalName } from '../process/signals.js';
import { programNameProblem } from './program-name.js';

/** Defaults for every program option, in one place. */
export const PROGRAM_DEFAULTS = {
  restart: 'always',
  noRestartExitCodes: [] as number[],
  instances: 1,
  stopSignal: 'SIGTERM' as SignalName,
  stopTimeoutMs: 5_000,
  minUptimeMs: 1_000,
  backoffInitialMs: 100,
  backoffMaxMs: 30_000,
  maxRestarts: 10,
  restartWindowMs: 60_000,
  logMaxBytes: 10 * 1024 * 1024,
  logMaxFiles: 5,
} as const;

/** Upper bound on instances of one program (a guard against typos such as 10000). */
export const MAX_INSTANCES = 1024;

const programName = z.string().superRefine((name, ctx) => {
  const problem = programNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const signalName = z.string().transform((value, ctx) => {
  const signal = parseSignal(value);
  if (!signal) {
    ctx.addIssue({
      code: 'custom',
      message: `Expected a signal name such as SIGTERM, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return signal;
});

const nonNegativeMs = z
  .number()
  .int()
  .min(0)
  .max(24 * 3600 * 1000);
const positiveMs = z
  .number()
  .int()
  .min(1)
  .max(24 * 3600 * 1000);

/** Restart policy: always restart, only after a failure, or never. */
export const RestartPolicySchema = z.enum(['always', 'on-failure', 'never']);
/** Restart policy: always restart, only after a failure, or never. */
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

/**
 * How to run and supervise one program: the body of `POST /v1/programs`, and what the state file keeps.
 * Optional fields get PROGRAM_DEFAULTS when parsed.
 */
export const ProgramSpecSchema = z
  .strictObject({
    name: programName,
    command: z.string().min(1, 'Expected a command to run').max(4096),
    args: z
      .array(z.string().max(128 * 1024))
      .max(4096)
      .default([]),
    cwd: z.string().startsWith('/', 'Expected `cwd` to be an absolute path').max(4096),
    env: z.record(z.string().max(1024), z.string().max(128 * 1024)).default({}),
    shell: z.boolean().default(false),
    restart: RestartPolicySchema.default(PROGRAM_DEFAULTS.restart),
    noRestartExitCodes: z.array(z.number().int().min(0).max(255)).max(256).default([]),
    instances: z.number().int().min(1).max(MAX_INSTANCES).default(PROGRAM_DEFAULTS.instances),
    port: z.number().int().min(1).max(65_535).optional(),
    stopSignal: signalName.default(PROGRAM_DEFAULTS.stopSignal),
    stopTimeoutMs: positiveMs.default(PROGRAM_DEFAULTS.stopTimeoutMs),
    minUptimeMs: nonNegativeMs.default(PROGRAM_DEFAULTS.minUptimeMs),
    backoffInitialMs: positiveMs.default(PROGRAM_DEFAULTS.backoffInitialMs),
    backoffMaxMs: positiveMs.default(PROGRAM_DEFAULTS.backoffMaxMs),
    maxRestarts: z.number().int().min(1).max(100_000).default(PROGRAM_DEFAULTS.maxRestarts),
    restartWindowMs: positiveMs.default(PROGRAM_DEFAULTS.restartWindowMs),
    logMaxBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 ** 4)
      .default(PROGRAM_DEFAULTS.logMaxBytes),
    logMaxFiles: z.number().int().min(1).max(1000).default(PROGRAM_DEFAULTS.logMaxFiles),
  })
  .superRefine((spec, ctx) => {
    if (spec.backoffMaxMs < spec.backoffInitialMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoffMaxMs'],
        message: `Expected \`backoffMaxMs\` to be ≥ \`backoffInitialMs\` (${spec.backoffInitialMs}), got ${spec.backoffMaxMs}`,
      });
    }
    if (spec.port !== undefined && spec.port + spec.instances - 1 > 65_535) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: `Expected \`port\` + \`instances\` - 1 to be at most 65535, got ${spec.port + spec.instances - 1}`,
      });
    }
  });

/** A fully defaulted program definition. */
export type ProgramSpec = z.output<typeof ProgramSpecSchema>;
/** A program definition as a client may send it, with optional fields left out. */
export type ProgramSpecInput = z.input<typeof ProgramSpecSchema>;

/** Turns zod issues into one message that says what was wrong and where. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? `\`${issue.path.join('.')}\`: ` : '';
      return `${where}${issue.message}`;
    })
    .join('; ');
}
