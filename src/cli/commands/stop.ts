import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTargets } from '../option-values.js';
import { describeEffects } from '../output/action-effect.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** `tend stop <name...|all>`: returns once every process has exited; says which programs were already stopped. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTargets(args.positionals);
  const programs = await (await ctx.client()).stopPrograms(target);
  if (hasFlag(args, 'json')) writeJson(ctx.stdout, programs);
  else if (programs.length === 0) ctx.stdout.write('No programs to stop\n');
  else ctx.stdout.write(describeEffects(programs, 'stop'));
  return 0;
}
