import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTarget } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { formatProgramStatus } from '../output/program-status.js';
import { writeFaults, writeStartupProblems } from '../output/startup-problems.js';
import { formatStderrTail, isFailing, readStderrTail } from '../output/stderr-tail.js';
import { hasFlag } from '../parse-args.js';

/**
 * `tend status [name|all]`: one program (an object with --json) or all (an array). For all,
 * what the daemon cannot do now (a full disk) and its start-up problems (such as a corrupt
 * state file moved aside) come first, as
 * they may explain a missing program; with --json they go to stderr, keeping stdout JSON.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTarget(args.positionals[0] ?? 'all');
  const client = await ctx.client();
  const isJson = hasFlag(args, 'json');
  const [result, health] =
    target === 'all'
      ? await Promise.all([client.listPrograms(), client.health()])
      : [await client.getProgram(target), undefined];
  const palette = await loadPalette(!isJson && ctx.isColor);
  writeFaults(ctx, health?.faults ?? [], isJson, palette);
  writeStartupProblems(ctx, health?.problems ?? [], isJson, palette);
  if (isJson) {
    writeJson(ctx.stdout, result);
    return 0;
  }
  const programs = Array.isArray(result) ? result : [result];
  if (programs.length === 0) {
    ctx.stdout.write('No programs are managed; start one with `tend start <command>`\n');
    return 0;
  }
  const now = Date.now();
  const tails = await Promise.all(
    programs.map((program) => (isFailing(program) ? readStderrTail(client, program.name) : [])),
  );
  ctx.stdout.write(
    programs
      .map(
        (program, index) =>
          formatProgramStatus(program, palette, now) +
          formatStderrTail(tails[index] ?? [], palette.dim),
      )
      .join('\n'),
  );
  return 0;
}
