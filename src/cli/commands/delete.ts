import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTargets } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** `tend delete <name...|all>`: stops the programs and forgets them. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTargets(args.positionals);
  const reply = await (await ctx.client()).deletePrograms(target, {
    force: hasFlag(args, 'force'),
  });
  if (hasFlag(args, 'json')) writeJson(ctx.stdout, reply);
  else if (reply.deleted.length === 0) ctx.stdout.write('No programs to delete\n');
  else for (const name of reply.deleted) ctx.stdout.write(`Deleted ${name}\n`);
  return 0;
}
