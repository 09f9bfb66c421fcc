import type { SignalRequest } from '../../api/wire.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseInstanceTarget, parseSignalArgument } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** What `tend signal` sends, and to which program. */
export interface SignalPlan {
  target: string;
  request: SignalRequest;
}

/** Validates `<signal> <name[:instance]|all>` without a daemon. */
export function planSignal(args: ParsedArgs): SignalPlan {
  const signal = parseSignalArgument(args.positionals[0] as string);
  const { name, instance } = parseInstanceTarget(args.positionals[1] as string);
  const request: SignalRequest = { signal };
  if (instance !== undefined) request.instance = instance;
  if (hasFlag(args, 'group')) request.group = true;
  return { target: name, request };
}

/** `tend signal <SIG> <name[:instance]|all> [--group]`. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const plan = planSignal(args);
  const reply = await (await ctx.client()).signalPrograms(plan.target, plan.request);
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, reply);
    return 0;
  }
  if (reply.delivered.length === 0) ctx.stdout.write('No programs to signal\n');
  const scope = plan.request.group ? 'process group of ' : '';
  for (const sent of reply.delivered) {
    ctx.stdout.write(
      `Sent ${sent.signal} to ${scope}${sent.name}[${sent.instance}] (pid ${sent.pid})\n`,
    );
  }
  return 0;
}
