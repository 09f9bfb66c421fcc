import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { hasFlag, stringOption } from '../parse-args.js';

/** `tend release <name> <lease>`: ends a lease, so the instance can be handed out again. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const name = parseProgramName(args.positionals[0] as string);
  const lease = args.positionals[1] as string;
  const reply = await (await ctx.client()).releaseLease(name, lease, stringOption(args, 'holder'));
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, reply);
    return 0;
  }
  ctx.stdout.write(`Released ${reply.lease.id}: ${reply.program}:${reply.instance} is free\n`);
  return 0;
}
