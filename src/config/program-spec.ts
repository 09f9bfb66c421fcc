import { z } from 'zod';
import { parseSignal, type SignalName } from '../process/signals.js';
import { MIN_MAX_MEMORY_BYTES } from './byte-size.js';
import { instancePort } from './instance-port.js';
import { ProbeSpecSchema, probeRoleProblems } from './probe-spec.js';
import { PROXY_NAME_SUFFIX, programNameProblem } from './program-name.js';
import { ProxyHostSchema, ProxyTuningSchema } from './proxy-settings.js';
import { reservedEnvProblem } from './reserved-env.js';
import { TaskSettingsSchema } from './task-settings.js';

/** Defaults for every program option, in one place. */
export const PROGRAM_DEFAULTS = {
  restart: 'always',
  noRestartExitCodes: [] as number[],
  instances: 1,
  stopSignal: 'SIGTERM' as SignalName,
  stopTimeoutMs: 5_000,
  minUptimeMs: 1_000,
  startTimeoutMs: 30_000,
  backoffInitialMs: 100,
  backoffMaxMs: 2_000,
  maxRestarts: 10,
  restartWindowMs: 60_000,
  logMaxBytes: 10 * 1024 * 1024,
  logMaxFiles: 5,
  dependsOn: [] as string[],
} as const;

/** Most dependencies one program may name (`--after`). */
export const MAX_DEPENDENCIES = 64;

/** Upper bound on instances of one program (a guard against typos such as 10000). */
export const MAX_INSTANCES = 1024;

/** A reverse proxy in front of a pool: where it listens, and how it balances and retries (proxy-settings.ts). */
export const ProxySpecSchema = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  host: ProxyHostSchema,
  ...ProxyTuningSchema.shape,
});
/** A pool's proxy settings, defaults applied. */
export type ProxySpec = z.output<typeof ProxySpecSchema>;

const programName = z.string().superRefine((name, ctx) => {
  const problem = programNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  else if (name.endsWith(PROXY_NAME_SUFFIX)) {
    ctx.addIssue({
      code: 'custom',
      message: `Expected a program name that does not end in \`${PROXY_NAME_SUFFIX}\` (a pool's proxy is logged under that name), got ${JSON.stringify(name)}`,
    });
  }
});

const dependencyName = z.string().superRefine((name, ctx) => {
  const problem = programNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Programs that must be ready before this one starts (`--after`); each named once. */
const dependsOn = z
  .array(dependencyName)
  .max(MAX_DEPENDENCIES)
  .superRefine((names, ctx) => {
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `Expected each dependency once, got ${JSON.stringify(twice)} twice`,
      });
    }
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

/** When an instance counts as ready: at once, when its port accepts, or when it says so (READY=1). */
export const ReadinessSchema = z.enum(['none', 'tcp', 'notify']);
/** When an instance counts as ready. */
export type Readiness = z.infer<typeof ReadinessSchema>;

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
    /**
     * The names in `env` that `tend start` copied from the shell it ran in (not given with `--env`):
     * `tend export` leaves them out unless asked, so that a file holds what the user set.
     */
    shellEnvNames: z.array(z.string().max(1024)).max(65_536).optional(),
    shell: z.boolean().default(false),
    restart: RestartPolicySchema.default(PROGRAM_DEFAULTS.restart),
    noRestartExitCodes: z.array(z.number().int().min(0).max(255)).max(256).default([]),
    /** The current size of the pool; with neither `min` nor `max`, min = max = instances. */
    instances: z.number().int().min(1).max(MAX_INSTANCES).optional(),
    min: z.number().int().min(1).max(MAX_INSTANCES).optional(),
    max: z.number().int().min(1).max(MAX_INSTANCES).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    /**
     * When an instance is ready: `tcp` once its port accepts connections (the default when `port`
     * is set), `notify` once it sends READY=1 on its notify channel (docs/health.md), `none` at once.
     */
    readiness: ReadinessSchema.optional(),
    /** Once ready, the instance must send WATCHDOG=1 at least this often or it is hung; off when absent. */
    watchdogMs: positiveMs.optional(),
    /** Restart an instance whose main process's resident memory stays above this; off when absent. */
    maxMemoryBytes: z
      .number()
      .int()
      .min(MIN_MAX_MEMORY_BYTES)
      .max(1024 ** 5)
      .optional(),
    /** An instance that writes no output (stdout or stderr) for this long is hung; off when absent. */
    silenceTimeoutMs: positiveMs.optional(),
    proxy: ProxySpecSchema.optional(),
    /** A task program (`--tasks`): each allocated instance is one client's task (docs/tasks.md). */
    tasks: TaskSettingsSchema.optional(),
    /** Until it passes, the other probes wait (see docs/health.md). */
    startupProbe: ProbeSpecSchema.optional(),
    /** While it fails, the instance is not ready (see docs/health.md). */
    readinessProbe: ProbeSpecSchema.optional(),
    /** When it fails failureThreshold times in a row, the instance is hung (see docs/health.md). */
    livenessProbe: ProbeSpecSchema.optional(),
    stopSignal: signalName.default(PROGRAM_DEFAULTS.stopSignal),
    stopTimeoutMs: positiveMs.default(PROGRAM_DEFAULTS.stopTimeoutMs),
    minUptimeMs: nonNegativeMs.default(PROGRAM_DEFAULTS.minUptimeMs),
    /** How long an instance that needs a readiness check may stay `starting` before it is stopped. */
    startTimeoutMs: positiveMs.default(PROGRAM_DEFAULTS.startTimeoutMs),
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
    /** Programs that must be ready (every instance online) before this one starts; see docs/health.md#start-order. */
    dependsOn: dependsOn.default(() => [...PROGRAM_DEFAULTS.dependsOn]),
  })
  .transform(resolvePoolSize)
  .superRefine((spec, ctx) => {
    if (spec.max < spec.min) {
      ctx.addIssue({
        code: 'custom',
        path: ['max'],
        message: `Expected \`max\` to be ≥ \`min\` (${spec.min}), got ${spec.max}`,
      });
    } else if (spec.instances < spec.min || spec.instances > spec.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['instances'],
        message: `Expected \`instances\` to be between \`min\` (${spec.min}) and \`max\` (${spec.max}), got ${spec.instances}`,
      });
    }
    if (spec.readiness === 'tcp' && spec.port === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['readiness'],
        message: 'Expected a `port` with `readiness: tcp`: the check connects to it',
      });
    }
    for (const problem of probeRoleProblems(spec)) ctx.addIssue({ code: 'custom', ...problem });
    if (spec.proxy !== undefined && spec.port === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['proxy'],
        message: 'Expected a base `port` with `proxy`: instance i listens on port + i behind it',
      });
    }
    const highestPort = instancePort(spec, spec.max - 1);
    if (
      spec.proxy !== undefined &&
      spec.port !== undefined &&
      highestPort !== null &&
      spec.proxy.port >= spec.port &&
      spec.proxy.port <= highestPort
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['proxy', 'port'],
        message: `Expected the proxy port outside the instances' ports ${spec.port}-${highestPort}, got ${spec.proxy.port}`,
      });
    }
    for (const problem of taskProblems(spec)) ctx.addIssue({ code: 'custom', ...problem });
    if (spec.backoffMaxMs < spec.backoffInitialMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoffMaxMs'],
        message: `Expected \`backoffMaxMs\` to be ≥ \`backoffInitialMs\` (${spec.backoffInitialMs}), got ${spec.backoffMaxMs}`,
      });
    }
    if (highestPort !== null && highestPort > 65_535) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: `Expected \`port\` + \`max\` - 1 to be at most 65535, got ${highestPort}`,
      });
    }
  });

/**
 * What a task program needs: a `port` (a task is reached at its instance's port), an `http` proxy
 * when it has one (tasks are routed by path), a ready buffer within `max`, and a proxy for an
 * allocate token to guard.
 */
function taskProblems(spec: {
  tasks?: { readyBuffer: number; allocateToken?: string | undefined } | undefined;
  port?: number | undefined;
  proxy?: { mode: string } | undefined;
  max: number;
}): Array<{ path: string[]; message: string }> {
  const tasks = spec.tasks;
  if (tasks === undefined) return [];
  const problems: Array<{ path: string[]; message: string }> = [];
  if (spec.port === undefined) {
    problems.push({
      path: ['tasks'],
      message: 'Expected a base `port` with `tasks`: a task is reached at its instance port',
    });
  }
  if (spec.proxy !== undefined && spec.proxy.mode !== 'http') {
    problems.push({
      path: ['proxy', 'mode'],
      message: `Expected proxy mode \`http\` with \`tasks\`: tasks are routed by path (/<name>/<id>), got ${JSON.stringify(spec.proxy.mode)}`,
    });
  }
  if (tasks.readyBuffer > spec.max) {
    problems.push({
      path: ['tasks', 'readyBuffer'],
      message: `Expected \`readyBuffer\` to be ≤ \`max\` (${spec.max}), got ${tasks.readyBuffer}`,
    });
  }
  if (tasks.allocateToken !== undefined && spec.proxy === undefined) {
    problems.push({
      path: ['tasks', 'allocateToken'],
      message:
        'Expected a `proxy` with `allocateToken`: the token guards allocation through the proxy port (the API needs no token)',
    });
  }
  return problems;
}

/**
 * Fills the pool size: `instances` alone means min = max = instances; `min`/`max` alone start
 * the pool at `min`; a task program without `instances` starts with its ready buffer (at least
 * one); readiness defaults to a TCP check when the program has a port.
 */
function resolvePoolSize<
  Spec extends {
    instances?: number;
    min?: number;
    max?: number;
    port?: number;
    readiness?: Readiness;
    tasks?: { readyBuffer: number } | undefined;
  },
>(spec: Spec): Spec & { instances: number; min: number; max: number; readiness: Readiness } {
  const fleetStart =
    spec.tasks === undefined
      ? undefined
      : Math.min(Math.max(spec.tasks.readyBuffer, 1), spec.max ?? MAX_INSTANCES);
  const instances = spec.instances ?? spec.min ?? fleetStart ?? PROGRAM_DEFAULTS.instances;
  // A task fleet shrinks back towards its buffer once tasks end.
  const min =
    spec.min ?? (fleetStart === undefined ? Math.min(instances, spec.max ?? instances) : 1);
  const max = spec.max ?? Math.max(instances, min);
  const readiness = spec.readiness ?? (spec.port === undefined ? 'none' : 'tcp');
  return { ...spec, instances, min, max, readiness };
}

/**
 * A program definition as the API takes it for a new program: ProgramSpecSchema, and no `env`
 * variable that tend would override (TEND_NAME, TEND_INSTANCE, and PORT with a `port`). The
 * state file is read with ProgramSpecSchema alone, so a program saved before this rule still loads.
 */
export const NewProgramSpecSchema = ProgramSpecSchema.superRefine((spec, ctx) => {
  for (const key of Object.keys(spec.env)) {
    const problem = reservedEnvProblem(key, spec.port);
    if (problem) ctx.addIssue({ code: 'custom', path: ['env', key], message: problem });
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

/** The definition with `env` set on top of its own: a variable set so is no longer one from the shell. */
export function withEnvSet(spec: ProgramSpec, env: Readonly<Record<string, string>>): ProgramSpec {
  const { shellEnvNames, ...rest } = spec;
  const stillFromShell = (shellEnvNames ?? []).filter((name) => !Object.hasOwn(env, name));
  return {
    ...rest,
    env: { ...spec.env, ...env },
    ...(stillFromShell.length > 0 ? { shellEnvNames: stillFromShell } : {}),
  };
}

/**
 * The definition a file declares for a program that runs as `current`: the variables `tend start`
 * copied from its shell (`shellEnvNames`) are a base the file does not declare, so those the file
 * does not mention stay as they are (and stay named so); one it sets becomes the file's.
 */
export function declaredOver(current: ProgramSpec, declared: ProgramSpec): ProgramSpec {
  const shellNames = (current.shellEnvNames ?? []).filter((name) =>
    Object.hasOwn(current.env, name),
  );
  const shellEnv = Object.fromEntries(
    shellNames.map((name) => [name, current.env[name] as string]),
  );
  const { shellEnvNames: _never, ...fromFile } = declared;
  return withEnvSet({ ...fromFile, env: shellEnv, shellEnvNames: shellNames }, declared.env);
}
