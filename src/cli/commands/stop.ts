import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTarget } from '../option-values.js';
import { plural } from '../output/format.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** `tend stop <name|all>`: returns once every process has exited. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTarget(args.positionals[0] as string);
  const programs = await (await ctx.client()).stopPrograms(target);
  if (hasFlag(args, 'json')) writeJson(ctx.stdout, programs);
  else if (programs.length === 0) ctx.stdout.write('No programs to stop\n');
  else
    for (const program of programs)
      ctx.stdout.write(
        `Stopped ${program.name} (${plural(program.instances.length, 'instance')})\n`,
      );
  return 0;
}
