import { resolve } from 'node:path';
import type { ApiClient } from '../../api/client.js';
import {
  MAX_BODY_BYTES,
  type ProgramActionResult,
  type ProgramDetail,
  type ProgramSpecInput,
} from '../../api/wire.js';
import { programNameProblem } from '../../config/program-name.js';
import type { BalanceStrategy, ProxyMode } from '../../config/proxy-defaults.js';
import { reservedEnvKeys } from '../../config/reserved-env.js';
import type { TaskEndRule } from '../../config/task-defaults.js';
import { TendError, UsageError } from '../../errors.js';
import { checkProbeCommands } from '../../health/probe-command.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { planHeartbeats } from '../heartbeat-options.js';
import { describeEffects } from '../output/action-effect.js';
import { formatInstanceTable, instancesOf } from '../output/instance-table.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { formatSlowStart } from '../output/slow-start.js';
import { expectedStarts, throwIfStartFailed } from '../output/start-failures.js';
import { formatWaitingNotes } from '../output/waiting-notes.js';
import {
  hasFlag,
  numberListOption,
  numberOption,
  repeatedOption,
  stringOption,
} from '../parse-args.js';
import { planProbes } from '../probe-options.js';
import { defaultProgramName, pickFreeName } from '../program-naming.js';
import { actAndWatchStarts, type ExpectedStart } from '../start-watch.js';

/** How many times a default name is picked again when another client took it meanwhile. */
const NAME_RACE_RETRIES = 3;

/** A new program to start. */
export interface NewProgramPlan {
  spec: ProgramSpecInput;
  /** The name came from the command, so another free one may be picked. */
  isNameDefault: boolean;
}

/**
 * The word of `tend start WORD` when it may name a managed program (or be `all`): a single word
 * with no option but --json and no `--`. Anything else always starts a new program.
 */
export function existingCandidateOf(args: ParsedArgs): string | undefined {
  const isOnlyOutputOptions = [...args.options.keys()].every(
    (option) => option === 'json' || option === 'no-wait',
  );
  const isSingleWord = args.positionals.length === 1 && !args.hasDoubleDash && isOnlyOutputOptions;
  return isSingleWord ? args.positionals[0] : undefined;
}

/** Turns the parsed arguments into the new program's spec; pure, so it is tested without a daemon. */
export function planNewProgram(
  args: ParsedArgs,
  where: { cwd: string; env: Readonly<Record<string, string | undefined>> },
): NewProgramPlan {
  const [command, ...commandArgs] = args.positionals;
  if (command === undefined || command === '') {
    throw new UsageError(
      'TEND_ERR_USAGE_MISSING_ARGUMENT',
      'Expected a command to run after `tend start`',
    );
  }
  const isShell = hasFlag(args, 'shell');
  const givenName = stringOption(args, 'name');
  const name = givenName ?? defaultProgramName(command, commandArgs, isShell);
  if (name === undefined) {
    throw new UsageError(
      'TEND_ERR_PROGRAM_INVALID_NAME',
      `Expected a program name: none can be made of ${JSON.stringify(command)}; give one with --name`,
    );
  }
  const port = numberOption(args, 'port');
  // What tend sets itself is not inherited (a `tend start` run inside an instance has TEND_NAME);
  // given with --env, the daemon refuses it, saying why.
  const notInherited = new Set(reservedEnvKeys(port !== undefined));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(where.env))
    if (value !== undefined && !notInherited.has(key)) env[key] = value;
  const shellEnvNames = new Set(Object.keys(env));
  for (const pair of repeatedOption(args, 'env')) {
    const equals = pair.indexOf('=');
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
    shellEnvNames.delete(pair.slice(0, equals));
  }
  const spec: ProgramSpecInput = {
    name,
    command,
    args: commandArgs,
    cwd: resolve(where.cwd, stringOption(args, 'cwd') ?? '.'),
    env,
  };
  if (shellEnvNames.size > 0) spec.shellEnvNames = [...shellEnvNames].sort();
  if (isShell) spec.shell = true;
  const restart = stringOption(args, 'restart');
  if (restart !== undefined) spec.restart = restart as ProgramSpecInput['restart'];
  const noRestartExitCodes = numberListOption(args, 'no-restart-exit-codes');
  if (noRestartExitCodes !== undefined) spec.noRestartExitCodes = noRestartExitCodes;
  const instances = numberOption(args, 'instances');
  if (instances !== undefined) spec.instances = instances;
  if (port !== undefined) spec.port = port;
  const stopSignal = stringOption(args, 'stop-signal');
  if (stopSignal !== undefined) spec.stopSignal = stopSignal;
  const stopTimeoutMs = numberOption(args, 'stop-timeout');
  if (stopTimeoutMs !== undefined) spec.stopTimeoutMs = stopTimeoutMs;
  const minUptimeMs = numberOption(args, 'min-uptime');
  if (minUptimeMs !== undefined) spec.minUptimeMs = minUptimeMs;
  const startTimeoutMs = numberOption(args, 'start-timeout');
  if (startTimeoutMs !== undefined) spec.startTimeoutMs = startTimeoutMs;
  const maxRestarts = numberOption(args, 'max-restarts');
  if (maxRestarts !== undefined) spec.maxRestarts = maxRestarts;
  const restartWindowMs = numberOption(args, 'restart-window');
  if (restartWindowMs !== undefined) spec.restartWindowMs = restartWindowMs;
  const min = numberOption(args, 'min');
  if (min !== undefined) spec.min = min;
  const max = numberOption(args, 'max');
  if (max !== undefined) spec.max = max;
  const probes = planProbes(args);
  Object.assign(spec, probes, planHeartbeats(args, probes));
  const after = repeatedOption(args, 'after');
  if (after.length > 0) spec.dependsOn = [...new Set(after)];
  const proxy = planProxy(args);
  if (proxy !== undefined) spec.proxy = proxy;
  const tasks = planTasks(args);
  if (tasks !== undefined) spec.tasks = tasks;
  return { spec, isNameDefault: givenName === undefined };
}

/**
 * Refuses, before anything is sent, a definition over the daemon's body limit: the environment is
 * sent whole, so a large one (or a long command line) is the usual cause, and the message says which.
 */
function checkRequestSize(spec: ProgramSpecInput): void {
  const total = Buffer.byteLength(JSON.stringify(spec));
  if (total <= MAX_BODY_BYTES) return;
  const envBytes = Buffer.byteLength(JSON.stringify(spec.env ?? {}));
  const argsBytes = Buffer.byteLength(JSON.stringify([spec.command, ...(spec.args ?? [])]));
  const [largestKey, largestValue] = Object.entries(spec.env ?? {}).reduce(
    (largest, entry) => (entry[1].length > largest[1].length ? entry : largest),
    ['', ''],
  );
  const culprit =
    envBytes >= argsBytes
      ? `the environment is ${kibibytes(envBytes)} (${Object.keys(spec.env ?? {}).length} variables, the largest ${largestKey} at ${kibibytes(Buffer.byteLength(largestValue))}); start tend from a smaller environment (\`env -u ${largestKey} tend start …\`)`
      : `the command line is ${kibibytes(argsBytes)}; pass large data in a file instead`;
  throw new UsageError(
    'TEND_ERR_API_BODY_TOO_LARGE',
    `The program definition is ${kibibytes(total)}, over the daemon's limit of ${kibibytes(MAX_BODY_BYTES)}: ${culprit}`,
  );
}

/** A size in whole KiB, rounded up: precise enough that the size and the limit never print alike. */
function kibibytes(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

const PROXY_DETAIL_OPTIONS = [
  'proxy-host',
  'proxy-mode',
  'balance',
  'proxy-wait',
  'proxy-timeout',
  'proxy-idle-timeout',
  'proxy-workers',
];

/** The proxy settings of `tend start`, or undefined without --proxy-port. */
function planProxy(args: ParsedArgs): ProgramSpecInput['proxy'] {
  const port = numberOption(args, 'proxy-port');
  if (port === undefined) {
    const orphan = PROXY_DETAIL_OPTIONS.find((option) => args.options.has(option));
    if (orphan !== undefined) {
      throw new UsageError(
        'TEND_ERR_USAGE_INVALID_ARGUMENT',
        `Expected --proxy-port with --${orphan}`,
      );
    }
    return undefined;
  }
  const proxy: NonNullable<ProgramSpecInput['proxy']> = { port };
  const host = stringOption(args, 'proxy-host');
  if (host !== undefined) proxy.host = host;
  const mode = stringOption(args, 'proxy-mode');
  if (mode !== undefined) proxy.mode = mode as ProxyMode;
  const balance = stringOption(args, 'balance');
  if (balance !== undefined) proxy.balance = balance as BalanceStrategy;
  const waitForReadyMs = numberOption(args, 'proxy-wait');
  if (waitForReadyMs !== undefined) proxy.waitForReadyMs = waitForReadyMs;
  const headerTimeoutMs = numberOption(args, 'proxy-timeout');
  if (headerTimeoutMs !== undefined) proxy.responseHeaderTimeoutMs = headerTimeoutMs;
  const idleTimeoutMs = numberOption(args, 'proxy-idle-timeout');
  if (idleTimeoutMs !== undefined) proxy.responseIdleTimeoutMs = idleTimeoutMs;
  const workers = numberOption(args, 'proxy-workers');
  if (workers !== undefined) proxy.workers = workers;
  return proxy;
}

const TASK_DETAIL_OPTIONS = ['ready-buffer', 'end-when', 'grace', 'connect-wait', 'allocate-token'];

/** The task settings of `tend start`, or undefined without --tasks. */
function planTasks(args: ParsedArgs): ProgramSpecInput['tasks'] {
  if (!hasFlag(args, 'tasks')) {
    const orphan = TASK_DETAIL_OPTIONS.find((option) => args.options.has(option));
    if (orphan !== undefined) {
      throw new UsageError('TEND_ERR_USAGE_INVALID_ARGUMENT', `Expected --tasks with --${orphan}`);
    }
    return undefined;
  }
  const tasks: NonNullable<ProgramSpecInput['tasks']> = {};
  const readyBuffer = numberOption(args, 'ready-buffer');
  if (readyBuffer !== undefined) tasks.readyBuffer = readyBuffer;
  const endWhen = stringOption(args, 'end-when');
  if (endWhen !== undefined) tasks.endWhen = endWhen as TaskEndRule;
  const graceMs = numberOption(args, 'grace');
  if (graceMs !== undefined) tasks.graceMs = graceMs;
  const connectWaitMs = numberOption(args, 'connect-wait');
  if (connectWaitMs !== undefined) tasks.connectWaitMs = connectWaitMs;
  const allocateToken = stringOption(args, 'allocate-token');
  if (allocateToken !== undefined) tasks.allocateToken = allocateToken;
  return tasks;
}

/** `tend start`: starts a new program, or a managed one again. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const word = existingCandidateOf(args);
  const isWaiting = !hasFlag(args, 'no-wait');
  const onSlow = hasFlag(args, 'json')
    ? () => {}
    : (notReady: ExpectedStart[]) => ctx.stderr.write(formatSlowStart(notReady));
  if (word === 'all') {
    const client = await ctx.client();
    const results = await startWatching(
      onSlow,
      client,
      'all',
      () => client.startPrograms('all'),
      isWaiting,
    );
    return report(ctx, args, results);
  }
  // Bad input fails here, before the daemon is asked anything.
  const plan = planNewProgram(args, ctx);
  checkProbeCommands(plan.spec);
  const client = await ctx.client();
  // Only a valid name can be a managed program; `./server.js` is not looked up.
  if (
    word !== undefined &&
    programNameProblem(word) === undefined &&
    (await client.findProgram(word)) !== undefined
  ) {
    // Its dependencies start with it and are watched too.
    const results = await startWatching(
      onSlow,
      client,
      'all',
      () => client.startPrograms(word),
      isWaiting,
    );
    return report(ctx, args, results);
  }
  // Only a new program's definition is sent: `tend start web` from a large environment is fine.
  checkRequestSize(plan.spec);
  const name = plan.isNameDefault ? 'all' : [plan.spec.name];
  const program = await startWatching(
    onSlow,
    client,
    name,
    () => createProgram(client, plan),
    isWaiting,
  ).catch((error: unknown) => explainManagedCommand(client, plan.spec.command, error));
  return report(ctx, args, program);
}

/**
 * `tend start web --instances 2` runs a command `web` (what follows the command is its own), which
 * fails as a missing program: when `web` is a managed program, say how to act on it instead.
 */
async function explainManagedCommand(
  client: ApiClient,
  command: string,
  error: unknown,
): Promise<never> {
  const isMissing = error instanceof TendError && error.code === 'TEND_ERR_SPAWN_FAILED';
  if (!isMissing || programNameProblem(command) !== undefined) throw error;
  if ((await client.findProgram(command).catch(() => undefined)) === undefined) throw error;
  throw new TendError(
    error.code,
    `${error.message}; \`${command}\` is a managed program: \`tend start ${command}\` alone starts it again, \`tend scale ${command} N\` resizes it (words after a command belong to the command)`,
    { cause: error },
  );
}

/** Runs a create or start and, unless told not to, waits for what it started to settle; a process that exits at once fails the command. */
async function startWatching<T extends ProgramDetail | ProgramActionResult[]>(
  onSlow: (notReady: ExpectedStart[]) => void,
  client: ApiClient,
  programs: string[] | 'all',
  act: () => Promise<T>,
  isWaiting: boolean,
): Promise<T> {
  if (!isWaiting) return act();
  const { result, verdict } = await actAndWatchStarts(client, programs, act, expectedStarts, {
    onSlow,
  });
  await throwIfStartFailed(client, verdict);
  return settled(client, result);
}

/** The programs as they are after the wait: what the daemon answered was their state at the spawn (`starting`, 0 s up). */
async function settled<T extends ProgramDetail | ProgramActionResult[]>(
  client: ApiClient,
  result: T,
): Promise<T> {
  const now = async (program: ProgramDetail) => (await client.findProgram(program.name)) ?? program;
  if (!Array.isArray(result)) return (await now(result)) as T;
  const programs = await Promise.all(
    result.map(async (program) => ({ ...(await now(program)), effect: program.effect })),
  );
  return programs as T;
}

async function createProgram(client: ApiClient, plan: NewProgramPlan): Promise<ProgramDetail> {
  if (!plan.isNameDefault) return client.createProgram(plan.spec);
  for (let attempt = 0; ; attempt++) {
    const taken = new Set((await client.listPrograms()).map((program) => program.name));
    const spec = { ...plan.spec, name: pickFreeName(plan.spec.name, taken) };
    try {
      return await client.createProgram(spec);
    } catch (error) {
      const isRace = error instanceof TendError && error.code === 'TEND_ERR_PROGRAM_EXISTS';
      if (!isRace || attempt >= NAME_RACE_RETRIES) throw error;
    }
  }
}

/** Prints what was started (or found already running) and a row per instance. */
async function report(
  ctx: CliContext,
  args: ParsedArgs,
  result: ProgramDetail | ProgramActionResult[],
): Promise<number> {
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, result);
    return 0;
  }
  const programs = Array.isArray(result) ? result : [result];
  if (programs.length === 0) {
    ctx.stdout.write('No programs are managed; start one with `tend start <command>`\n');
    return 0;
  }
  const headline = Array.isArray(result)
    ? describeEffects(result, 'start')
    : `Started ${result.name}\n`;
  const palette = await loadPalette(ctx.isColor);
  ctx.stdout.write(
    `${headline}${formatInstanceTable(instancesOf(programs), palette)}${formatWaitingNotes(programs, palette)}`,
  );
  return 0;
}
