import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTarget } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { formatProgramStatus } from '../output/program-status.js';
import { hasFlag } from '../parse-args.js';

/** `tend status [name|all]`: one program (an object with --json) or all (an array). */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTarget(args.positionals[0] ?? 'all');
  const client = await ctx.client();
  const result = target === 'all' ? await client.listPrograms() : await client.getProgram(target);
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, result);
    return 0;
  }
  const programs = Array.isArray(result) ? result : [result];
  if (programs.length === 0) {
    ctx.stdout.write('No programs are managed; start one with `tend start <command>`\n');
    return 0;
  }
  const palette = await loadPalette(ctx.isColor);
  const now = Date.now();
  ctx.stdout.write(
    programs.map((program) => formatProgramStatus(program, palette, now)).join('\n'),
  );
  return 0;
}
