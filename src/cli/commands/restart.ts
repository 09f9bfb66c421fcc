import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTargets } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** `tend restart <name...|all>`: returns once every instance was spawned again. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTargets(args.positionals);
  const programs = await (await ctx.client()).restartPrograms(target);
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, programs);
    return 0;
  }
  if (programs.length === 0) ctx.stdout.write('No programs to restart\n');
  for (const program of programs) {
    const pids = program.instances.map((instance) => instance.pid ?? '-').join(', ');
    ctx.stdout.write(`Restarted ${program.name} (pid ${pids})\n`);
  }
  return 0;
}
