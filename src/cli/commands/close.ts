import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** `tend close <name> <id>`: ends a task; its process is stopped and its slot gets a fresh one. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const name = parseProgramName(args.positionals[0] as string);
  const id = args.positionals[1] as string;
  const task = await (await ctx.client()).closeTask(name, id);
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, task);
    return 0;
  }
  ctx.stdout.write(
    `Closed task ${task.id} of ${task.program}: instance ${task.instance} (pid ${task.pid}) is stopped and replaced\n`,
  );
  return 0;
}
