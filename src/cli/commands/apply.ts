import type { ApiClient } from '../../api/client.js';
import { type ProgramSpec, TARGET_SEPARATOR } from '../../api/wire.js';
import { TendError, UsageError } from '../../errors.js';
import {
  type ApplyPlan,
  consequence,
  formatPlan,
  isEmptyPlan,
  type ProgramChange,
  planApply,
} from '../apply-plan.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';
import { formatSlowStart } from '../output/slow-start.js';
import { expectedStarts, throwIfStartFailed } from '../output/start-failures.js';
import { warningLine } from '../output/stderr-line.js';
import { hasFlag, stringOption } from '../parse-args.js';
import { actAndWatchStarts, type ExpectedStart } from '../start-watch.js';

/**
 * `tend apply [-f FILE] [--dry-run] [--prune] [--env NAME]`: makes the daemon run what the file
 * declares. The whole file is checked before the daemon is asked anything; the plan is printed,
 * then carried out step by step, and a failed step ends the command saying what was done.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const { DEFAULT_CONFIG_FILE, loadConfig } = await import('../../config/tend-file/index.js');
  const file = configFileOf(args) ?? DEFAULT_CONFIG_FILE;
  const isJson = hasFlag(args, 'json');
  const config = await loadConfig(file, { cwd: ctx.cwd, envName: stringOption(args, 'env') });
  for (const warning of config.warnings) ctx.stderr.write(warningLine(warning));
  const client = await ctx.client();
  const current = await client.listPrograms();
  const plan = planApply(current, config.specs, { isPruning: hasFlag(args, 'prune') });
  const isDryRun = hasFlag(args, 'dry-run');
  if (!isJson) ctx.stdout.write(formatPlan(plan, file));
  // Not a change to show: the same definition, with variables the file sets now the file's.
  if (!isDryRun) for (const spec of plan.takenOver) await client.updateProgram(spec);
  if (isDryRun || isEmptyPlan(plan)) {
    if (isJson) writeJson(ctx.stdout, summary(plan, isDryRun));
    else if (isDryRun && !isEmptyPlan(plan)) ctx.stdout.write('Dry run: nothing was changed\n');
    return 0;
  }
  const steps = new StepLog(ctx, isJson);
  const wait: StartWait = {
    isWaiting: !hasFlag(args, 'no-wait'),
    onSlow: (notReady) => {
      if (!isJson) ctx.stderr.write(formatSlowStart(notReady, 'startTimeoutMs'));
    },
  };
  try {
    // Removals first: they free names and ports that the rest may take.
    if (plan.remove.length > 0) {
      await client.deletePrograms(plan.remove.join(TARGET_SEPARATOR));
      for (const name of plan.remove) steps.done(`Deleted ${name}`);
    }
    // Additions before changes: a changed program may come to depend on a new one.
    for (const spec of plan.add) {
      await watched(client, [spec.name], () => client.createProgram(spec), wait);
      steps.done(`Added ${spec.name}`);
    }
    for (const change of plan.change) await applyChange(client, change, steps, wait);
  } catch (error) {
    throw steps.failure(error);
  }
  if (isJson) writeJson(ctx.stdout, summary(plan, false));
  return 0;
}

async function applyChange(
  client: ApiClient,
  change: ProgramChange,
  steps: StepLog,
  wait: StartWait,
): Promise<void> {
  if (change.isReplaced) {
    await client.deletePrograms(change.name);
    steps.done(
      `Deleted ${change.name} to add it again with${change.after.proxy ? '' : 'out'} a proxy`,
    );
    await watched(client, [change.name], () => client.createProgram(change.after), wait);
    steps.done(`Added ${change.name} again`);
    return;
  }
  const reply = await client.updateProgram(change.after);
  if (change.isRunning && reply.needsRespawn.length > 0) {
    steps.done(`Changed ${change.name}`);
    // A rolling reload: one instance at a time, each replaced once its successor is ready.
    await client.reloadProgram(change.name, {});
    steps.done(`Reloaded ${change.name} (${reply.needsRespawn.join(', ')} changed)`);
    return;
  }
  steps.done(`Changed ${change.name} (${consequence(change)})`);
}

/** Whether apply waits for new processes to settle, and what it says when that is slow. */
interface StartWait {
  isWaiting: boolean;
  onSlow: (notReady: ExpectedStart[]) => void;
}

/** Runs a create or restart and, unless told not to, waits as `tend start` does for each new process to settle. */
async function watched<T extends Parameters<typeof expectedStarts>[0]>(
  client: ApiClient,
  names: string[],
  act: () => Promise<T>,
  wait: StartWait,
): Promise<void> {
  if (!wait.isWaiting) {
    await act();
    return;
  }
  const { verdict } = await actAndWatchStarts(client, names, act, expectedStarts, {
    onSlow: wait.onSlow,
  });
  await throwIfStartFailed(client, verdict);
}

/** The steps carried out so far, printed as they are done, and named again when one fails. */
class StepLog {
  readonly #ctx: CliContext;
  readonly #isJson: boolean;
  readonly #done: string[] = [];

  constructor(ctx: CliContext, isJson: boolean) {
    this.#ctx = ctx;
    this.#isJson = isJson;
  }

  done(line: string): void {
    this.#done.push(line);
    if (!this.#isJson) this.#ctx.stdout.write(`${line}\n`);
  }

  /** The error of a failed step, saying what was already done (the daemon keeps that). */
  failure(error: unknown): unknown {
    if (!(error instanceof TendError)) return error;
    const done =
      this.#done.length === 0
        ? 'Nothing was changed before this step.'
        : `Already done: ${this.#done.join('; ')}.`;
    return new TendError(
      error.code,
      `${error.message}\n${done} The rest of the plan was not carried out.`,
      {
        cause: error,
      },
    );
  }
}

function summary(plan: ApplyPlan, isDryRun: boolean) {
  const names = (specs: ProgramSpec[]) => specs.map((spec) => spec.name);
  return {
    isDryRun,
    added: names(plan.add),
    changed: plan.change.map((change) => ({
      name: change.name,
      fields: change.fields,
      needsRespawn: change.needsRespawn,
      isRestarted: !change.isReplaced && change.isRunning && change.needsRespawn.length > 0,
      isReplaced: change.isReplaced,
    })),
    removed: plan.remove,
    unchanged: plan.unchanged,
    kept: plan.kept,
  };
}

/** The file to apply, given as `FILE` or `-f FILE` (not both); undefined when neither. */
function configFileOf(args: ParsedArgs): string | undefined {
  const [positional] = args.positionals;
  const option = stringOption(args, 'file');
  if (positional !== undefined && option !== undefined) {
    throw new UsageError(
      'TEND_ERR_USAGE',
      `Expected the file once: ${positional} and -f ${option} were both given (usage: tend apply [FILE | -f FILE])`,
    );
  }
  return positional ?? option;
}
