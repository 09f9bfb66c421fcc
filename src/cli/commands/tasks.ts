import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { formatTaskTable } from '../output/task-table.js';
import { hasFlag } from '../parse-args.js';

/** `tend tasks <name>`: the live tasks of a task program, with owner, age and connections. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const name = parseProgramName(args.positionals[0] as string);
  const tasks = await (await ctx.client()).listTasks(name);
  const isJson = hasFlag(args, 'json');
  if (isJson) {
    writeJson(ctx.stdout, tasks);
    return 0;
  }
  if (tasks.length === 0) {
    ctx.stdout.write(`${name} has no live task; the API or the proxy allocates one\n`);
    return 0;
  }
  ctx.stdout.write(formatTaskTable(tasks, await loadPalette(ctx.isColor)));
  return 0;
}
