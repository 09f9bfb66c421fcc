import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { formatInstanceTable, instancesOf } from '../output/instance-table.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { hasFlag } from '../parse-args.js';

/** Reads `N`, `+N` or `-N` into a scale request. */
export function parseScaleAmount(text: string): { to: number } | { by: number } {
  const match = /^([+-]?)(\d{1,6})$/.exec(text);
  if (!match) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected a pool size such as 5, +1 or -2, got ${JSON.stringify(text)}`,
    );
  }
  const amount = Number(match[2]);
  if (match[1] === '+') return { by: amount };
  if (match[1] === '-') return { by: -amount };
  return { to: amount };
}

/** `tend scale <name> <N|+N|-N>`: resizes a pool within its bounds. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const name = parseProgramName(args.positionals[0] as string);
  const amount = parseScaleAmount(args.positionals[1] as string);
  const program = await (await ctx.client()).scaleProgram(name, amount);
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, program);
    return 0;
  }
  ctx.stdout.write(
    `Scaled ${program.name} to ${program.instances.length} (min ${program.spec.min}, max ${program.spec.max})\n${formatInstanceTable(instancesOf([program]), await loadPalette(ctx.isColor))}`,
  );
  return 0;
}
