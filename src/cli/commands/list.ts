import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { formatInstanceTable, instancesOf } from '../output/instance-table.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { hasFlag } from '../parse-args.js';

/** `tend list`: one row per instance. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const client = await ctx.client();
  const rows = instancesOf(await client.listPrograms());
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, rows);
  } else if (rows.length === 0) {
    ctx.stdout.write('No programs are managed; start one with `tend start <command>`\n');
  } else {
    ctx.stdout.write(formatInstanceTable(rows, await loadPalette(ctx.isColor)));
  }
  return 0;
}
